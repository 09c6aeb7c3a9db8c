"""A1's frame indices, worked out by hand, the jittered variant, and the
release's OpenCV (integer frame rate) rule."""

import numpy as np
import pytest

from hbi.datasets.transforms import (
    LoadVideoFrames,
    sample_frame_indices,
    sample_frame_indices_jittered,
    sample_frame_indices_opencv,
)


def test_one_frame_per_second_below_max_frames():
    # 30 fps, 300 frames: s = 30, candidates 0, 30, ..., 270 -> 10 frames.
    inds = sample_frame_indices(300, 30.0, max_frames=12)
    assert inds.dtype == np.int64
    assert inds.tolist() == [0, 30, 60, 90, 120, 150, 180, 210, 240, 270]


def test_linspace_subsample_above_max_frames():
    # 25 fps, 1000 frames: 40 candidates 0, 25, ..., 975; k = linspace(0, 39,
    # 12) = 0, 3.55, 7.09, 10.64, 14.18, 17.73, 21.27, 24.82, 28.36, 31.91,
    # 35.45, 39 -> int -> candidates 0, 3, 7, 10, 14, 17, 21, 24, 28, 31,
    # 35, 39.
    inds = sample_frame_indices(1000, 25.0, max_frames=12)
    expected = [k * 25 for k in (0, 3, 7, 10, 14, 17, 21, 24, 28, 31, 35, 39)]
    assert inds.tolist() == expected


def test_clip_start_end():
    # f_start = int(2.5 * 25) = 62, f_end = min(int(10.3 * 25), 999) = 257:
    # 62, 87, ..., 237 (62 + 25 * 8 = 262 > 257).
    inds = sample_frame_indices(1000, 25.0, start=2.5, end=10.3)
    assert inds.tolist() == [62, 87, 112, 137, 162, 187, 212, 237]


def test_end_beyond_video_is_clamped():
    # f_end = min(int(10 * 30), 99) = 99 -> 0, 30, 60, 90.
    inds = sample_frame_indices(100, 30.0, end=10.0)
    assert inds.tolist() == [0, 30, 60, 90]


def test_ntsc_rate_and_rounding():
    # s = round(29.97) = 30.
    assert sample_frame_indices(120, 30000 / 1001).tolist() == [0, 30, 60, 90]
    # s = round(25 / 2) = round(12.5) = 12 (Python rounds half to even).
    assert sample_frame_indices(50, 25.0, video_framerate=2).tolist() == [
        0,
        12,
        24,
        36,
        48,
    ]
    # s = max(1, round(0.4)) = 1 for a very low frame rate.
    assert sample_frame_indices(3, 0.4).tolist() == [0, 1, 2]


def test_short_video_gives_fewer_frames():
    assert sample_frame_indices(20, 25.0).tolist() == [0]


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(num_frames=0, fps=25.0), 'num_frames'),
        (dict(num_frames=10, fps=0.0), 'fps'),
        (dict(num_frames=100, fps=25.0, start=3.0, end=2.0), 'empty clip'),
        (dict(num_frames=100, fps=25.0, start=10.0), 'empty clip'),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_frame_indices(**kwargs)


def test_jittered_stays_in_range_and_on_the_grid():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        inds = sample_frame_indices_jittered(300, 30.0, 12, rng=rng)
        # 10 candidates <= 12: the grid 0..270 shifted by an offset in
        # [0, 30).
        offset = inds[0]
        assert 0 <= offset < 30
        assert inds.tolist() == list(range(offset, 300, 30))


def test_jittered_subsample_one_per_segment():
    seen = set()
    for seed in range(20):
        inds = sample_frame_indices_jittered(
            1000, 25.0, 12, start=0, rng=np.random.default_rng(seed)
        )
        assert len(inds) == 12 and np.all(np.diff(inds) > 0)
        assert inds.min() >= 0 and inds.max() <= 999
        offset = inds[0] % 25
        assert np.all(inds % 25 == offset)  # still one frame per second
        seen.add(tuple(inds.tolist()))
    assert len(seen) > 10  # it is random


def test_jittered_is_reproducible_and_respects_clip():
    a = sample_frame_indices_jittered(
        1000, 25.0, start=2.5, end=10.3, rng=np.random.default_rng(3)
    )
    b = sample_frame_indices_jittered(
        1000, 25.0, start=2.5, end=10.3, rng=np.random.default_rng(3)
    )
    assert a.tolist() == b.tolist()
    assert a.min() >= 62 and a.max() <= 257
    np.random.seed(0)
    c = sample_frame_indices_jittered(1000, 25.0)
    np.random.seed(0)
    assert sample_frame_indices_jittered(1000, 25.0).tolist() == c.tolist()


def test_opencv_rule_reads_whole_seconds_at_the_integer_rate():
    # 29.97 fps -> 29: seconds 0..ceil(300 / 29) = 11 give 0, 29, ..., 319;
    # 319 is past the 300 frames, where the read fails and the loop stops.
    inds = sample_frame_indices_opencv(300, 29.97, max_frames=12)
    assert inds.tolist() == [29 * s for s in range(11)]
    # A1 on the same video: step round(29.97) = 30
    assert sample_frame_indices(300, 29.97).tolist() == [
        30 * s for s in range(10)
    ]
    # 3600 frames at 29.97 -> 29: seconds 0..124 (29 * 125 = 3625 is past
    # the end), 125 candidates; 64 of them by linspace(0, 124, 64) -> int
    inds = sample_frame_indices_opencv(3600, 29.97, max_frames=64)
    keep = [int(k) for k in np.linspace(0, 124, 64)]
    assert inds.tolist() == [29 * k for k in keep]


def test_opencv_rule_clip_and_several_frames_per_second():
    # DiDeMo: start 0, end 31 s of a 40 s video at 30 fps -> seconds 0..31
    inds = sample_frame_indices_opencv(1200, 30.0, max_frames=64, end=31.0)
    assert inds.tolist() == [30 * s for s in range(32)]
    # start 2.7 s -> int 2; 2 frames per second at offsets 0 and 30 // 2
    inds = sample_frame_indices_opencv(
        150, 30.0, max_frames=64, video_framerate=2, start=2.7
    )
    assert inds.tolist() == [60, 75, 90, 105, 120, 135]
    with pytest.raises(ValueError, match='empty clip'):
        sample_frame_indices_opencv(100, 30.0, start=9)
    with pytest.raises(ValueError, match='must be positive'):
        sample_frame_indices_opencv(100, 0.5)
    with pytest.raises(ValueError, match='no jittered variant'):
        LoadVideoFrames(index_rule='opencv', test_mode=False)
    with pytest.raises(ValueError, match='index_rule'):
        LoadVideoFrames(index_rule='cv2')
