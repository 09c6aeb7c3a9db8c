import os
import shutil

import numpy as np
import pytest

from hbi.datasets.transforms import FrameCache, LoadVideoFrames
from hbi.datasets.transforms.video_reader import VideoDecodeError
from tests.test_tools.fast_config import load_generator


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    out = tmp_path_factory.mktemp('w') / 'world'
    load_generator().generate_world(
        str(out), num_train=2, num_val=1, num_test=1, workers=1, progress=False
    )
    return out / 'videos' / 'video0.mp4'


def test_cached_frames_equal_decoded_frames(tmp_path, video):
    cache = FrameCache(
        dict(type='LoadVideoFrames', max_frames=6), str(tmp_path / 'cache')
    )
    direct = LoadVideoFrames(max_frames=6)(dict(video_path=str(video)))
    first = cache(dict(video_path=str(video)))
    assert len(os.listdir(tmp_path / 'cache')) == 1
    second = cache(dict(video_path=str(video)))
    for out in (first, second):
        assert np.array_equal(np.stack(out['imgs']), np.stack(direct['imgs']))
        assert np.array_equal(out['frame_inds'], direct['frame_inds'])
        assert out['total_frames'] == direct['total_frames']
        assert out['num_frames'] == direct['num_frames']
        assert out['img_shape'] == direct['img_shape']


def test_changed_video_or_settings_miss_the_cache(tmp_path, video):
    copy = tmp_path / 'v.mp4'
    shutil.copy(video, copy)
    cache_dir = tmp_path / 'cache'
    FrameCache(dict(type='LoadVideoFrames', max_frames=6), str(cache_dir))(
        dict(video_path=str(copy))
    )
    FrameCache(dict(type='LoadVideoFrames', max_frames=3), str(cache_dir))(
        dict(video_path=str(copy))
    )
    assert len(os.listdir(cache_dir)) == 2
    copy.write_bytes(b'not a video')
    with pytest.raises(VideoDecodeError):
        FrameCache(dict(type='LoadVideoFrames', max_frames=6), str(cache_dir))(
            dict(video_path=str(copy))
        )


def test_random_sampling_cannot_be_cached(tmp_path):
    with pytest.raises(ValueError, match='deterministic'):
        FrameCache(
            dict(type='LoadVideoFrames', test_mode=False), str(tmp_path)
        )


def test_default_cache_is_outside_a_read_only_video_folder(
    tmp_path, video, monkeypatch
):
    monkeypatch.setenv('HBI_FRAME_CACHE_DIR', str(tmp_path / 'default'))
    videos = tmp_path / 'videos'
    videos.mkdir()
    shutil.copy(video, videos / 'v.mp4')
    videos.chmod(0o555)  # a read-only dataset
    try:
        cache = FrameCache(dict(type='LoadVideoFrames', max_frames=6))
        out = cache(dict(video_path=str(videos / 'v.mp4')))
    finally:
        videos.chmod(0o755)
    assert os.listdir(videos) == ['v.mp4']  # nothing written beside it
    assert len(os.listdir(tmp_path / 'default')) == 1
    assert out['num_frames'] == 6


def _logs(monkeypatch):
    import hbi.datasets.transforms.frame_cache as module

    messages = []
    monkeypatch.setattr(
        module, 'print_log', lambda msg, *a, **k: messages.append(msg)
    )
    return messages


def test_damaged_entry_is_decoded_again_and_logged(
    tmp_path, video, monkeypatch
):
    logs = _logs(monkeypatch)
    cache_dir = tmp_path / 'cache'
    cache = FrameCache(dict(type='LoadVideoFrames', max_frames=6), cache_dir)
    first = cache(dict(video_path=str(video)))
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    again = cache(dict(video_path=str(video)))
    assert np.array_equal(np.stack(again['imgs']), np.stack(first['imgs']))
    (message,) = logs
    assert f'damaged cache file {entry}' in message and 'again' in message
    # the entry was replaced: the next read is a clean hit
    cache(dict(video_path=str(video)))
    assert len(logs) == 1


def test_unwritable_cache_folder_decodes_without_caching(
    tmp_path, video, monkeypatch
):
    logs = _logs(monkeypatch)
    blocked = tmp_path / 'file'
    blocked.write_text('not a folder')
    cache = FrameCache(
        dict(type='LoadVideoFrames', max_frames=6), str(blocked / 'cache')
    )
    for _ in range(2):
        assert cache(dict(video_path=str(video)))['num_frames'] == 6
    (message,) = logs  # once
    assert 'cannot write the cache folder' in message
