"""Open a video, pick A1's frame indices and decode them into ``imgs``."""

import logging
from typing import List, Literal

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from hbi.registry import TRANSFORMS

from .sampling import (
    sample_frame_indices,
    sample_frame_indices_jittered,
    sample_frame_indices_opencv,
)
from .video_reader import Backend, VideoDecodeError, open_video

#: Frame-index rules of the release's two loaders.
INDEX_RULES = {
    'decord': sample_frame_indices,
    'opencv': sample_frame_indices_opencv,
}


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Decode the frames of HBI's input (A1) from ``video_path``.

    The output follows mmaction2's conventions (``imgs`` as a list of frames,
    ``img_shape``, ``modality='RGB'``) so that ``mmaction.Resize``,
    ``mmaction.CenterCrop``, ``mmaction.RandomResizedCrop`` and
    ``mmaction.Flip`` can follow it in a pipeline.

    **Required Keys:** ``video_path``; optional ``video_id`` (named in
    errors), ``start``, ``end`` (clip bounds in seconds, ``None`` = whole
    video)

    **Added Keys:** ``imgs`` (list of HxWx3 uint8 RGB), ``frame_inds``
    (int64 array), ``num_frames`` (frames of the video clip), ``total_frames``,
    ``avg_fps``, ``img_shape``, ``original_shape``, ``modality`` (``'RGB'``)

    With ``segment_frames > 0`` and ``segments`` in the results (timestamped
    sentences, see :mod:`hbi.datasets.segments`), the frames of each segment
    are sampled inside its span by the same rule (at most
    ``segment_frames``) and appended to ``imgs`` after the clip's frames, so
    that the spatial transforms treat all alike; ``segment_frame_counts``
    (list of int) says how many each segment has and ``segments`` keeps the
    segments that could be sampled. A segment starting after the end of its
    video is skipped with a warning naming the video
    (``invalid_segments='skip'``) or refused (``'error'``).

    Args:
        backend (str): ``'decord'`` or ``'pyav'``. Defaults to ``'decord'``.
        max_frames (int): Most frames kept (Lv). Defaults to 12.
        video_framerate (float): Frames sampled per second. Defaults to 1.
        test_mode (bool): Deterministic indices if True; if False, the
            jittered variant of A1 (:func:`sample_frame_indices_jittered`)
            as augmentation (not released: the release trains on the test
            rule). Defaults to True.
        num_threads (int): Decoder threads. Defaults to 1.
        index_rule (str): ``'decord'``: A1, the release's MSR-VTT loader
            (:func:`sample_frame_indices`); ``'opencv'``: the release's
            ActivityNet/DiDeMo loader, whole seconds at an integer frame
            rate (:func:`sample_frame_indices_opencv`, test mode only).
            Defaults to ``'decord'``.
        segment_frames (int): Most frames per segment; 0 samples no segment.
            Defaults to 0.
        invalid_segments (str): ``'skip'`` or ``'error'``. Defaults to
            ``'skip'``.

    Raises:
        VideoDecodeError: Naming the video id and path when the file is
            missing, empty, corrupt or cannot give the frames.

    Shape:
        - ``imgs``: ``num_frames`` arrays of [H, W, 3] uint8.
    """

    def __init__(
        self,
        backend: Backend = 'decord',
        max_frames: int = 12,
        video_framerate: float = 1,
        test_mode: bool = True,
        num_threads: int = 1,
        index_rule: str = 'decord',
        segment_frames: int = 0,
        invalid_segments: Literal['skip', 'error'] = 'skip',
    ) -> None:
        if max_frames < 1:
            raise ValueError(f'max_frames must be >= 1, got {max_frames}')
        if index_rule not in INDEX_RULES:
            raise ValueError(
                f'index_rule must be one of {sorted(INDEX_RULES)}, got '
                f'{index_rule!r}'
            )
        if index_rule != 'decord' and not test_mode:
            raise ValueError(
                f'index_rule={index_rule!r} has no jittered variant: use '
                'test_mode=True (as the release does in training)'
            )
        self.index_rule = index_rule
        if segment_frames < 0 or invalid_segments not in ('skip', 'error'):
            raise ValueError(
                'segment_frames must be >= 0 and invalid_segments "skip" or '
                f'"error", got {segment_frames}, {invalid_segments!r}'
            )
        self.segment_frames = segment_frames
        self.invalid_segments = invalid_segments
        self.provides = ('segment_frames',) if segment_frames else ()
        self.backend = backend
        self.max_frames = max_frames
        self.video_framerate = video_framerate
        self.test_mode = test_mode
        self.num_threads = num_threads

    def _indices(self, reader, max_frames: int, start, end) -> np.ndarray:
        kwargs = dict(
            num_frames=reader.num_frames,
            fps=reader.fps,
            max_frames=max_frames,
            video_framerate=self.video_framerate,
            start=start,
            end=end,
        )
        if self.test_mode:
            return INDEX_RULES[self.index_rule](**kwargs)
        return sample_frame_indices_jittered(**kwargs)

    def _segment_indices(self, reader, results: dict) -> List[np.ndarray]:
        """Indices of each segment; drops (or refuses) the segments that
        cannot be sampled from ``results['segments']``."""
        kept, indices = [], []
        for i, segment in enumerate(results.get('segments') or ()):
            try:
                inds = self._indices(
                    reader,
                    self.segment_frames,
                    segment['start'],
                    segment['end'],
                )
            except ValueError as e:
                message = (
                    f'video {results.get("video_id")!r} '
                    f'({results["video_path"]}): segment {i} '
                    f'[{segment["start"]}, {segment["end"]}] s is outside '
                    f'the video ({e})'
                )
                if self.invalid_segments == 'error':
                    raise ValueError(message) from e
                print_log(
                    'LoadVideoFrames: skipping ' + message,
                    logger='current',
                    level=logging.WARNING,
                )
                continue
            kept.append(segment)
            indices.append(inds)
        results['segments'] = kept
        return indices

    def transform(self, results: dict) -> dict:
        path, video_id = results['video_path'], results.get('video_id')
        segment_inds: List[np.ndarray] = []
        try:
            reader = open_video(path, self.backend, self.num_threads)
            try:
                inds = self._indices(
                    reader,
                    self.max_frames,
                    results.get('start'),
                    results.get('end'),
                )
            except ValueError as e:
                raise VideoDecodeError(path, str(e)) from e
            if self.segment_frames:
                segment_inds = self._segment_indices(reader, results)
            frames = reader.get_frames(np.concatenate([inds, *segment_inds]))
        except VideoDecodeError as e:
            raise VideoDecodeError(e.path, e.reason, video_id) from e
        imgs = list(frames)
        if self.segment_frames:
            results['segment_frame_counts'] = [len(i) for i in segment_inds]
        results.update(
            imgs=imgs,
            frame_inds=np.asarray(inds, dtype=np.int64),
            num_frames=len(inds),
            total_frames=reader.num_frames,
            avg_fps=reader.fps,
            img_shape=imgs[0].shape[:2],
            original_shape=imgs[0].shape[:2],
            modality='RGB',
        )
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(backend={self.backend!r}, '
            f'max_frames={self.max_frames}, '
            f'video_framerate={self.video_framerate}, '
            f'test_mode={self.test_mode}, index_rule={self.index_rule!r}, '
            f'segment_frames={self.segment_frames})'
        )
