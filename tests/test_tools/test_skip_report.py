"""skip_invalid=True from the command line: skips are reported every epoch
without InvalidVideoReportHook in the config, also with num_workers=0 (where
mmengine's filter of repeated warnings hides the per-video warning after
the first epoch), and too many skips stop the run naming the videos."""

import shutil

import pytest

from hbi.datasets.base_video_text_dataset import TooManyInvalidVideosError
from tests.test_tools.fast_config import (
    load_tool,
    tool_args,
    write_fast_config,
)

train_tool = load_tool('train')


def _world_with_corrupt_videos(small_world, root, corrupt):
    shutil.copytree(small_world / 'annotations', root / 'annotations')
    (root / 'videos').mkdir(parents=True)
    for video in sorted((small_world / 'videos').glob('*.mp4')):
        target = root / 'videos' / video.name
        if video.stem in corrupt:
            target.write_bytes(b'\x13\x37' * 512)
        else:
            target.symlink_to(video)
    return root


def _train_ids(small_world):
    lines = (small_world / 'annotations' / 'train_list.csv').read_text()
    return [line.split(',')[0] for line in lines.split()[1:]]


def _log_text(work_dir):
    (log,) = work_dir.rglob('*.log')
    return log.read_text()


def test_skips_reported_every_epoch_with_num_workers_0(tmp_path, small_world):
    bad = _train_ids(small_world)[0]
    root = _world_with_corrupt_videos(small_world, tmp_path / 'w', {bad})
    cfg = write_fast_config(tmp_path / 'cfg.py', root)
    work = tmp_path / 'work'
    train_tool.main(
        tool_args(cfg, work, 'train_dataloader.dataset.skip_invalid=yes')
    )
    log = _log_text(work)
    for epoch in (1, 2):
        assert (
            f'InvalidVideoReportHook: epoch {epoch}: skipped 1 items for 1 '
            f'invalid videos: {bad}. First: {bad}: '
        ) in log


def test_too_many_skips_stop_with_count_and_reasons(tmp_path, small_world):
    bad = set(_train_ids(small_world)[:3])
    root = _world_with_corrupt_videos(small_world, tmp_path / 'w', bad)
    cfg = write_fast_config(tmp_path / 'cfg.py', root)
    with pytest.raises(TooManyInvalidVideosError) as err:
        train_tool.main(
            tool_args(
                cfg,
                tmp_path / 'work',
                'train_dataloader.dataset.skip_invalid=true',
                'train_dataloader.dataset.max_invalid=2',
            )
        )
    msg = str(err.value)
    assert '3 invalid videos were skipped in epoch 1, more than ' in msg
    assert 'max_invalid=2' in msg and 'cannot open it' in msg
    assert all(video_id in msg for video_id in bad)
