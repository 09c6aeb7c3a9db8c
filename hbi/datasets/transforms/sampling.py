"""Frame indices of HBI's video input (method A1) and a jittered variant.

Pure functions, written here because A1's rule (one frame per second, then a
``linspace`` subsample) is not one of mmaction2's samplers (``SampleFrames``
samples clips of fixed length, ``UniformSample`` takes segment centres).
"""

from typing import Optional

import numpy as np


def _frame_range(
    num_frames: int,
    fps: float,
    video_framerate: float,
    start: Optional[float],
    end: Optional[float],
) -> tuple[int, int, int]:
    """Step ``s`` and the inclusive frame range [f_start, f_end] of A1."""
    if num_frames <= 0:
        raise ValueError(f'num_frames must be positive, got {num_frames}')
    if fps <= 0 or video_framerate <= 0:
        raise ValueError(
            f'fps ({fps}) and video_framerate '
            f'({video_framerate}) must be positive'
        )
    # Python's round (half to even) as in the reference code.
    step = max(1, round(fps / video_framerate))
    f_start = 0 if start is None else int(start * fps)
    f_end = (
        num_frames - 1 if end is None else min(int(end * fps), num_frames - 1)
    )
    if f_start < 0 or f_start > f_end:
        raise ValueError(
            f'empty clip: start={start}s, end={end}s give frames [{f_start}, '
            f'{f_end}] of a {num_frames}-frame video at {fps} fps'
        )
    return step, f_start, f_end


def _linspace_pick(candidates: np.ndarray, max_frames: int) -> np.ndarray:
    """``candidates[int(k)]`` for ``k`` in ``linspace(0, n - 1, max_frames)``
    when there are more than ``max_frames`` of them (A1)."""
    if len(candidates) <= max_frames:
        return candidates
    keep = np.linspace(0, len(candidates) - 1, max_frames).astype(np.int64)
    return candidates[keep]


def sample_frame_indices(
    num_frames: int,
    fps: float,
    max_frames: int = 12,
    video_framerate: float = 1,
    start: Optional[float] = None,
    end: Optional[float] = None,
) -> np.ndarray:
    """HBI's test-time frame indices (A1).

    Candidates are ``f_start, f_start + s, ... <= f_end`` with
    ``s = round(fps / video_framerate)`` (at least 1),
    ``f_start = int(start * fps)`` and
    ``f_end = min(int(end * fps), num_frames - 1)``. With more than
    ``max_frames`` candidates, ``candidates[int(k)]`` is kept for ``k`` in
    ``linspace(0, n - 1, max_frames)``.

    Args:
        num_frames (int): Frames in the video.
        fps (float): The video's average frame rate.
        max_frames (int): Most frames returned. Defaults to 12.
        video_framerate (float): Frames sampled per second. Defaults to 1.
        start (float, optional): Clip start in seconds; whole video if None.
        end (float, optional): Clip end in seconds; whole video if None.

    Returns:
        np.ndarray: int64 indices, increasing.

    Shape:
        - Output: [min(n, max_frames)] where n is the number of candidates.

    Examples:
        >>> sample_frame_indices(300, 30.0).tolist()
        [0, 30, 60, 90, 120, 150, 180, 210, 240, 270]
    """
    step, f_start, f_end = _frame_range(
        num_frames, fps, video_framerate, start, end
    )
    candidates = np.arange(f_start, f_end + 1, step, dtype=np.int64)
    return _linspace_pick(candidates, max_frames)


def sample_frame_indices_jittered(
    num_frames: int,
    fps: float,
    max_frames: int = 12,
    video_framerate: float = 1,
    start: Optional[float] = None,
    end: Optional[float] = None,
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """A1's indices with random temporal jitter, as training augmentation.

    Not part of A1 (the released code samples training videos with the test
    rule); use it by setting ``test_mode=False`` in :class:`LoadVideoFrames`.
    The grid of candidates is shifted by a random offset in ``[0, s)``
    (``f_start + offset, f_start + offset + s, ...``) and, when there are more
    than ``max_frames`` candidates, one candidate is drawn uniformly from
    each of ``max_frames`` equal, contiguous segments instead of the
    ``linspace`` pick. The number of frames returned equals that of
    :func:`sample_frame_indices` unless the shift removes the last candidate.

    Args:
        rng (np.random.Generator, optional): Random source; if None, one is
            seeded from numpy's global RNG (seeded per DataLoader worker).
        Other arguments: as :func:`sample_frame_indices`.

    Returns:
        np.ndarray: int64 indices, increasing, within [f_start, f_end].
    """
    step, f_start, f_end = _frame_range(
        num_frames, fps, video_framerate, start, end
    )
    if rng is None:
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
    offset = int(rng.integers(0, min(step, f_end - f_start + 1)))
    candidates = np.arange(f_start + offset, f_end + 1, step, dtype=np.int64)
    n = len(candidates)
    if n > max_frames:
        edges = np.linspace(0, n, max_frames + 1)
        lows = np.floor(edges[:-1]).astype(np.int64)
        highs = np.maximum(np.floor(edges[1:]).astype(np.int64), lows + 1)
        candidates = candidates[rng.integers(lows, highs)]
    return candidates


def sample_frame_indices_opencv(
    num_frames: int,
    fps: float,
    max_frames: int = 12,
    video_framerate: float = 1,
    start: Optional[float] = None,
    end: Optional[float] = None,
) -> np.ndarray:
    """The frame indices of the release's OpenCV loader (its ActivityNet and
    DiDeMo datasets), which reads frames by second with an INTEGER frame
    rate.

    With ``r = int(fps)`` (OpenCV's ``CAP_PROP_FPS`` read as an int) and
    ``k = int(video_framerate)`` frames per second at offsets
    ``0, r // k, 2 (r // k), ...`` (the first ``k``), the candidates are
    ``sec * r + offset`` for ``sec`` from ``int(start)`` (0) to
    ``min(int(end), ceil(num_frames / r))`` (that bound) inclusive, in
    order, up to the first index past the video (where its read fails).
    More than ``max_frames`` candidates: the ``linspace`` pick of A1. At
    29.97 fps the grid drifts from A1's by 3% (second 100 is frame 2900,
    not 2997).

    Args:
        Same as :func:`sample_frame_indices`.

    Returns:
        np.ndarray: int64 indices, increasing.
    """
    rate, per_second = int(fps), int(video_framerate)
    if num_frames <= 0 or rate <= 0 or per_second <= 0:
        raise ValueError(
            f'num_frames ({num_frames}), int(fps) ({rate}) and '
            f'int(video_framerate) ({per_second}) must be positive'
        )
    duration = (num_frames + rate - 1) // rate
    first = 0 if start is None else int(start)
    last = duration if end is None else min(int(end), duration)
    offsets = list(range(0, rate, max(1, rate // per_second)))[:per_second]
    candidates = []
    for sec in range(first, last + 1):
        frames = [sec * rate + offset for offset in offsets]
        candidates += [f for f in frames if f < num_frames]
        if frames[-1] >= num_frames:
            break
    if not candidates:
        raise ValueError(
            f'empty clip: start={start}s, end={end}s of a {num_frames}-frame '
            f'video at {fps} fps'
        )
    return _linspace_pick(np.asarray(candidates, dtype=np.int64), max_frames)
