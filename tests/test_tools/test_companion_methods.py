"""TACo end to end through tools/: the tag file is required before
training, written by tools/data/tag_captions.py, then a tiny TACo model
trains (its losses logged) and tests with the fusion re-ranking."""

import importlib.util
import json

import pytest

from tests.test_tools.fast_config import ROOT, load_tool, write_fast_config

train_tool, test_tool = load_tool('train'), load_tool('test')
_spec = importlib.util.spec_from_file_location(
    'hbi_tools_tag_captions', ROOT / 'tools/data/tag_captions.py'
)
tag_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tag_tool)
TACO = ROOT / (
    'configs/retrieval/taco/taco_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)


def test_taco_needs_tags_then_trains_and_reranks(tmp_path, small_world):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world, base=TACO)
    cfg.write_text(
        cfg.read_text()
        + "model['fusion_encoder'] = dict(embed_dim=32, num_layers=1)\n"
        + "model['reranker'] = dict(k=4)\n"
        + 'train_cfg = dict(max_epochs=1, val_interval=1)\n'
    )
    tags = small_world / 'annotations' / 'MSRVTT_data.tags.json'
    if tags.exists():
        tags.unlink()
    with pytest.raises(FileNotFoundError, match='tag_captions.py'):
        train_tool.main([str(cfg), '--work-dir', str(tmp_path / 'no_tags')])
    tag_tool.main(
        [
            str(cfg),
            '--truth',
            str(small_world / 'annotations' / 'caption_words.json'),
        ]
    )
    work = tmp_path / 'work'
    train_tool.main([str(cfg), '--work-dir', str(work)])
    records = [
        json.loads(line)
        for log in work.rglob('vis_data/scalars.json')
        for line in log.read_text().splitlines()
    ]
    logged = {k for r in records for k in r}
    assert {'loss_token_aware', 'loss_cascade', 'loss_contrastive'} <= logged
    metrics = test_tool.main(
        [str(cfg), str(work / 'epoch_1.pth'), '--work-dir', str(work)]
    )
    assert 0 <= metrics['t2v/R@1'] <= 100
