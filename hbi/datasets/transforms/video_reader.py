"""One small interface over decord and PyAV: frame count, fps, frames by index.

mmaction2 has a loader class per back-end (``DecordInit``/``DecordDecode``,
``PyAVInit``/``PyAVDecode``) working on its results dict; we need the same
frame numbering from both back-ends and one error type for bad files, so the
two readers live here behind ``open_video``.
"""

import os.path as osp
from typing import Literal, Optional, Sequence

import numpy as np

Backend = Literal['decord', 'pyav']


class VideoDecodeError(RuntimeError):
    """A video that cannot be opened or decoded.

    Args:
        path (str): The video file.
        reason (str): What went wrong.
        video_id (str, optional): The dataset's id of the video.
    """

    def __init__(
        self, path: str, reason: str, video_id: Optional[str] = None
    ) -> None:
        self.path, self.reason, self.video_id = path, reason, video_id
        name = f'video {video_id!r} ({path})' if video_id else f'video {path}'
        super().__init__(f'{name}: {reason}')

    def __reduce__(self):  # keep the arguments through DataLoader workers
        return type(self), (self.path, self.reason, self.video_id)


class VideoReader:
    """An opened video with ``num_frames``, ``fps`` and ``get_frames``.

    Frame ``i`` is the i-th decoded frame in presentation order for both
    back-ends.

    Shape:
        - ``get_frames(indices)``: [N, H, W, 3] uint8 RGB.
    """

    path: str
    num_frames: int
    fps: float

    def get_frames(self, indices: Sequence[int]) -> np.ndarray:
        raise NotImplementedError

    def _check_indices(self, indices: Sequence[int]) -> list[int]:
        inds = [int(i) for i in indices]
        bad = [i for i in inds if not 0 <= i < self.num_frames]
        if bad:
            raise VideoDecodeError(
                self.path,
                f'frame indices {bad[:5]} outside [0, {self.num_frames})',
            )
        return inds


class DecordVideoReader(VideoReader):
    """decord back-end (seeks to each requested frame)."""

    def __init__(self, path: str, num_threads: int = 1) -> None:
        import decord

        self.path = path
        try:
            self._reader = decord.VideoReader(path, num_threads=num_threads)
            self.num_frames = len(self._reader)
            self.fps = float(self._reader.get_avg_fps())
        except (RuntimeError, decord.DECORDError) as e:
            raise VideoDecodeError(path, f'decord cannot open it: {e}') from e

    def get_frames(self, indices: Sequence[int]) -> np.ndarray:
        import decord

        inds = self._check_indices(indices)
        try:
            return self._reader.get_batch(inds).asnumpy()
        except (RuntimeError, decord.DECORDError) as e:
            raise VideoDecodeError(
                self.path, f'decord failed on frames {inds}: {e}'
            ) from e


class PyAVVideoReader(VideoReader):
    """PyAV back-end (decodes sequentially up to the last requested frame,
    which is exact where seeking in long-GOP files is not)."""

    def __init__(self, path: str, num_threads: int = 1) -> None:
        import av

        self.path, self.num_threads = path, num_threads
        try:
            with av.open(path) as container:
                if not container.streams.video:
                    raise VideoDecodeError(path, 'no video stream')
                stream = container.streams.video[0]
                rate = stream.average_rate or stream.guessed_rate
                self.fps = float(rate) if rate else 0.0
                self.num_frames = stream.frames or self._count(container)
        except av.FFmpegError as e:
            raise VideoDecodeError(path, f'PyAV cannot open it: {e}') from e

    @staticmethod
    def _count(container) -> int:
        return sum(1 for _ in container.decode(video=0))

    def get_frames(self, indices: Sequence[int]) -> np.ndarray:
        import av

        inds = self._check_indices(indices)
        wanted, frames = set(inds), {}
        try:
            with av.open(self.path) as container:
                container.streams.video[0].thread_count = self.num_threads
                for i, frame in enumerate(container.decode(video=0)):
                    if i in wanted:
                        frames[i] = frame.to_ndarray(format='rgb24')
                    if len(frames) == len(wanted):
                        break
        except av.FFmpegError as e:
            raise VideoDecodeError(
                self.path, f'PyAV failed while decoding: {e}'
            ) from e
        missing = sorted(wanted - set(frames))
        if missing:
            raise VideoDecodeError(
                self.path,
                f'frames {missing[:5]} could not be decoded '
                f'(container says {self.num_frames} frames)',
            )
        return np.stack([frames[i] for i in inds])


_READERS = {'decord': DecordVideoReader, 'pyav': PyAVVideoReader}


def open_video(
    path: str, backend: Backend = 'decord', num_threads: int = 1
) -> VideoReader:
    """Open a video for frame access.

    Args:
        path (str): The video file.
        backend (str): ``'decord'`` or ``'pyav'``. Defaults to ``'decord'``.
        num_threads (int): Decoder threads (keep 1 inside DataLoader
            workers). Defaults to 1.

    Returns:
        VideoReader: With ``num_frames``, ``fps`` and ``get_frames``.

    Raises:
        VideoDecodeError: For a missing, empty, unreadable or frameless file.
        ValueError: For an unknown back-end.
    """
    if backend not in _READERS:
        raise ValueError(
            f'backend must be one of {sorted(_READERS)}, got {backend!r}'
        )
    if not osp.isfile(path):
        raise VideoDecodeError(path, 'file not found')
    if osp.getsize(path) == 0:
        raise VideoDecodeError(path, 'file is empty (0 bytes)')
    reader = _READERS[backend](path, num_threads=num_threads)
    if reader.num_frames <= 0:
        raise VideoDecodeError(path, 'no frames')
    if reader.fps <= 0:
        raise VideoDecodeError(path, f'invalid frame rate {reader.fps}')
    return reader
