"""tools/train.py and tools/test.py end to end on a small synthetic world."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hbi.utils.checkpoint_compat import trusted_checkpoint_globals
from tests.test_tools.fast_config import load_tool, write_fast_config

train_tool, test_tool = load_tool('train'), load_tool('test')


def _losses(work_dir: Path):
    """Per-iteration training losses from the scalars log."""
    logs = list(work_dir.rglob('vis_data/scalars.json'))
    assert logs, f'no scalars.json under {work_dir}'
    out = []
    for log in sorted(logs):
        for line in log.read_text().splitlines():
            rec = json.loads(line)
            if 'loss' in rec:
                out.append((rec['epoch'], rec['iter'], rec['loss']))
    return out


def _weights(path: Path):
    with trusted_checkpoint_globals():
        return torch.load(path, map_location='cpu')['state_dict']


def test_resume_reproduces_uninterrupted_run(tmp_path, small_world):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    straight, parted = tmp_path / 'straight', tmp_path / 'parted'
    train_tool.main([str(cfg), '--work-dir', str(straight)])
    train_tool.main(
        [
            str(cfg),
            '--work-dir',
            str(parted),
            '--cfg-options',
            # stop after epoch 1 of the 2-epoch schedule (an interruption);
            # train_cfg.max_epochs alone would move the schedule's end too
            'train_cfg.max_epochs=1',
            'param_scheduler.0.end=2',
        ]
    )
    assert not (parted / 'epoch_2.pth').exists()
    train_tool.main([str(cfg), '--work-dir', str(parted), '--resume'])
    a, b = _weights(straight / 'epoch_2.pth'), _weights(parted / 'epoch_2.pth')
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    la = [x for x in _losses(straight) if x[0] == 2]
    lb = [x for x in _losses(parted) if x[0] == 2]
    assert la and la == lb
    # the first epoch changed the weights: the comparison is not vacuous
    first = _weights(parted / 'epoch_1.pth')
    assert any(not torch.equal(first[k], a[k]) for k in a)


def test_test_tool_evaluates_and_dumps(tmp_path, small_world):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    work = tmp_path / 'work'
    train_tool.main(
        [
            str(cfg),
            '--work-dir',
            str(work),
            '--cfg-options',
            'train_cfg.max_epochs=1',
        ]
    )
    dump = tmp_path / 'sim.npz'
    shows = tmp_path / 'show'
    metrics = test_tool.main(
        [
            str(cfg),
            str(work / 'epoch_1.pth'),
            '--work-dir',
            str(work),
            '--dump',
            str(dump),
            '--show-dir',
            str(shows),
        ]
    )
    pngs = sorted(shows.glob('query_*.png'))
    assert len(pngs) == 8
    from PIL import Image

    image = np.asarray(Image.open(pngs[0]).convert('L'), dtype=float)
    assert image.shape[1] > 400 and image.std() > 10  # drawn, not blank
    assert {'t2v/R@1', 'v2t/R@1', 't2v/MdR'} <= set(metrics)
    data = np.load(dump)
    # 8 test videos with 5 captions each
    assert data['similarity'].shape == (40, 8)
    assert data['text_to_video'].tolist() == sorted(
        data['text_to_video'].tolist()
    )


def test_unknown_cfg_option_is_an_error(tmp_path, small_world):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    with pytest.raises(KeyError, match="train_cfg.max_epoch'.*max_epochs"):
        train_tool.main([str(cfg), '--cfg-options', 'train_cfg.max_epoch=1'])


def test_missing_data_root_says_how_to_generate(tmp_path):
    cfg = write_fast_config(tmp_path / 'cfg.py', tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='generate_synthetic_world.py'):
        train_tool.main([str(cfg), '--work-dir', str(tmp_path / 'w')])


def test_malformed_annotation_names_file_and_line(tmp_path, small_world):
    import shutil

    root = tmp_path / 'world'
    shutil.copytree(small_world / 'annotations', root / 'annotations')
    (root / 'videos').symlink_to(small_world / 'videos')
    lst = root / 'annotations' / 'train_list.csv'
    lst.write_text(lst.read_text() + 'video3,extra\n')
    cfg = write_fast_config(tmp_path / 'cfg.py', root)
    with pytest.raises(ValueError, match=r'train_list\.csv.*line'):
        train_tool.main([str(cfg), '--work-dir', str(tmp_path / 'w')])
