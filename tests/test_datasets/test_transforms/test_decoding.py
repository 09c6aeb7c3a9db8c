"""LoadVideoFrames, alone and followed by mmaction2's transforms."""

import numpy as np
import pytest

from hbi.datasets.transforms import (
    LoadVideoFrames,
    VideoDecodeError,
    open_video,
)
from hbi.registry import TRANSFORMS


@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_keys_and_indices(small_video, backend):
    load = TRANSFORMS.build(
        dict(type='LoadVideoFrames', backend=backend, max_frames=12)
    )
    results = load(dict(video_path=small_video, video_id='v'))
    # 120 frames at 29.97 fps: one per second -> 0, 30, 60, 90.
    assert results['frame_inds'].tolist() == [0, 30, 60, 90]
    assert results['num_frames'] == 4 and results['total_frames'] == 120
    assert results['img_shape'] == results['original_shape'] == (144, 176)
    assert results['modality'] == 'RGB'
    assert len(results['imgs']) == 4
    assert all(
        i.shape == (144, 176, 3) and i.dtype == np.uint8
        for i in results['imgs']
    )
    expected = open_video(small_video, backend).get_frames([0, 30, 60, 90])
    np.testing.assert_array_equal(np.stack(results['imgs']), expected)


def test_clip_bounds_and_max_frames(small_video):
    load = LoadVideoFrames(max_frames=2)
    results = load(dict(video_path=small_video, start=1.0, end=3.9))
    # f_start = int(29.97) = 29, f_end = int(116.88) = 116: 29, 59, 89 ->
    # linspace(0, 2, 2) keeps candidates 0 and 2.
    assert results['frame_inds'].tolist() == [29, 89]


def test_training_jitter(small_video):
    load = LoadVideoFrames(test_mode=False)
    np.random.seed(1)
    seen = set()
    for _ in range(8):
        inds = load(dict(video_path=small_video))['frame_inds']
        assert len(inds) in (3, 4) and np.all(np.diff(inds) == 30)
        seen.add(inds[0])
    assert len(seen) > 1


def test_errors_name_video_id_and_path(tmp_path, small_video):
    bad = tmp_path / 'video9.mp4'
    bad.write_bytes(b'not a video' * 100)
    with pytest.raises(VideoDecodeError, match=r"'video9'.*video9\.mp4"):
        LoadVideoFrames()(dict(video_path=str(bad), video_id='video9'))
    with pytest.raises(VideoDecodeError, match=r"'v'.*empty clip"):
        LoadVideoFrames()(
            dict(video_path=small_video, video_id='v', start=10.0, end=12.0)
        )


def test_mmaction_transforms_follow(small_video):
    """mmaction2's transforms build from hbi's registry by scoped name."""
    pipeline = [
        TRANSFORMS.build(cfg)
        for cfg in [
            dict(type='LoadVideoFrames', max_frames=12),
            dict(type='mmaction.Resize', scale=(-1, 64)),
            dict(type='mmaction.RandomResizedCrop'),
            dict(type='mmaction.Resize', scale=(48, 48), keep_ratio=False),
            dict(type='mmaction.Flip', flip_ratio=1.0),
            dict(type='mmaction.CenterCrop', crop_size=32),
        ]
    ]
    assert type(pipeline[1]).__module__.startswith('mmaction.')
    results = dict(video_path=small_video)
    results = pipeline[0](results)
    results = pipeline[1](results)
    # Short side 144 -> 64, aspect kept: 176 * 64 / 144 = 78.2 -> 78.
    assert results['img_shape'] == (64, 78)
    assert results['imgs'][0].shape == (64, 78, 3)
    for t in pipeline[2:4]:
        results = t(results)
    before = [img.copy() for img in results['imgs']]
    results = pipeline[4](results)
    assert results['flip'] is True
    np.testing.assert_array_equal(results['imgs'][0], before[0][:, ::-1])
    results = pipeline[5](results)
    assert results['img_shape'] == (32, 32)
    assert all(
        i.shape == (32, 32, 3) and i.dtype == np.uint8 for i in results['imgs']
    )
