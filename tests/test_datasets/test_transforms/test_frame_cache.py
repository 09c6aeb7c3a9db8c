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
    beside = FrameCache(dict(type='LoadVideoFrames', max_frames=6))
    local = tmp_path / 'videos' / 'v.mp4'
    local.parent.mkdir()
    shutil.copy(video, local)
    beside(dict(video_path=str(local)))
    assert len(os.listdir(tmp_path / 'videos' / '.frame_cache')) == 1
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
