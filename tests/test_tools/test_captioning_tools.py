"""Captioning end to end on a small synthetic world: tools/train.py,
tools/test.py (--dump, --show-dir), the caption loop and
tools/analysis/caption.py."""

import importlib.util
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from hbi.engine.runner import HBIRunner
from hbi.evaluation.functional import caption_scores
from hbi.evaluation.metrics import caption_metric
from tests.test_tools.fast_config import ROOT, load_tool

CONFIG = ROOT / (
    'configs/captioning/hbi_v2/'
    'hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
train_tool, test_tool = load_tool('train'), load_tool('test')


def _caption_tool():
    path = ROOT / 'tools' / 'analysis' / 'caption.py'
    spec = importlib.util.spec_from_file_location('hbi_caption_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_config(path: Path, data_root: Path) -> Path:
    """The demo's captioning config, 1 epoch of 3 batches, no validation."""
    loader = 'batch_size=8, num_workers=0, dataset=dict(data_root=data_root)'
    path.write_text(
        '\n'.join(
            [
                f'_base_ = [{str(CONFIG)!r}]',
                f'data_root = {str(data_root)!r}',
                'train_cfg = dict(max_epochs=1, val_interval=10)',
                "param_scheduler = [dict(type='ConstantLR', factor=1.0)]",
                'model = dict(task_heads=dict(caption=dict(generation=dict('
                'max_length=12))))',
                f'train_dataloader = dict({loader})',
                f'val_dataloader = dict({loader})',
                f'test_dataloader = dict({loader})',
            ]
        )
        + '\n'
    )
    return path


@pytest.fixture(scope='module')
def trained(tmp_path_factory, small_world):
    work = tmp_path_factory.mktemp('caption_run')
    cfg = _write_config(work / 'cfg.py', small_world)
    train_tool.main([str(cfg), '--work-dir', str(work)])
    return cfg, work / 'epoch_1.pth'


def test_test_tool_dumps_captions_and_shows_them(trained, tmp_path):
    cfg, ckpt = trained
    dump, show = tmp_path / 'captions.json', tmp_path / 'show'
    metrics = test_tool.main(
        [
            str(cfg),
            str(ckpt),
            '--work-dir',
            str(tmp_path / 'w'),
            '--dump',
            str(dump),
            '--show-dir',
            str(show),
        ]
    )
    predictions = json.loads(dump.read_text())
    ann = json.loads(
        (
            Path(Config.fromfile(str(cfg)).data_root)
            / 'annotations'
            / 'MSRVTT_data.json'
        ).read_text()
    )
    test_ids = [v['video_id'] for v in ann['videos'] if v['split'] == 'test']
    assert list(predictions) == test_ids  # every video once, in order
    assert all(isinstance(c, str) for c in predictions.values())
    references = {
        v: [s['caption'] for s in ann['sentences'] if s['video_id'] == v]
        for v in test_ids
    }
    # The reported metrics are those of the dumped captions.
    recomputed = caption_scores(predictions, references)
    assert metrics == pytest.approx(
        {f'caption/{k}': v for k, v in recomputed.items()}
    )
    assert len(list(show.glob('caption_*.png'))) == len(test_ids)
    with pytest.raises(SystemExit, match='must name a .json file'):
        test_tool.main(
            [str(cfg), str(ckpt), '--dump', str(tmp_path / 'x.npz')]
        )
    # Captioning one's own videos gives the same captions.
    data_root = Path(Config.fromfile(str(cfg)).data_root)
    paths = [str(data_root / 'videos' / f'{v}.mp4') for v in test_ids[:3]]
    out = tmp_path / 'own'
    captions = _caption_tool().main(
        [str(cfg), str(ckpt), *paths, '--out-dir', str(out)]
    )
    assert captions == [predictions[v] for v in test_ids[:3]]
    assert len(list(out.glob('*.png'))) == 3
    with pytest.raises(ValueError, match='num_beams'):
        _caption_tool().main(
            [str(cfg), str(ckpt), paths[0], '--num-beams', '0']
        )


def test_caption_loop_encodes_each_video_once(trained, monkeypatch, tmp_path):
    cfg_path, ckpt = trained
    monkeypatch.setattr(
        caption_metric, 'caption_scores', lambda p, r: {'CIDEr': 0.0}
    )
    cfg = Config.fromfile(str(cfg_path))
    cfg.work_dir, cfg.load_from = str(tmp_path), str(ckpt)
    runner = HBIRunner.from_cfg(cfg)
    encoded = []
    original = runner.model.encode_video

    def counting(frames, frame_mask):
        encoded.append(frames.shape[0])
        return original(frames, frame_mask)

    monkeypatch.setattr(runner.model, 'encode_video', counting)
    runner.test()
    assert sum(encoded) == len(runner.test_dataloader.dataset) == 8
    assert encoded == [8]  # one batch of 8 videos, decoded together
    cfg.test_dataloader.dataset.modality = 'pair'
    runner = HBIRunner.from_cfg(cfg)
    with pytest.raises(ValueError, match='must iterate videos'):
        runner.test()
