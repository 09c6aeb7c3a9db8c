"""Open a video, pick A1's frame indices and decode them into ``imgs``."""

import numpy as np
from mmcv.transforms import BaseTransform

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
    (int64 array), ``num_frames`` (frames decoded), ``total_frames``,
    ``avg_fps``, ``img_shape``, ``original_shape``, ``modality`` (``'RGB'``)

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
        self.backend = backend
        self.max_frames = max_frames
        self.video_framerate = video_framerate
        self.test_mode = test_mode
        self.num_threads = num_threads

    def transform(self, results: dict) -> dict:
        path, video_id = results['video_path'], results.get('video_id')
        try:
            reader = open_video(path, self.backend, self.num_threads)
            kwargs = dict(
                num_frames=reader.num_frames,
                fps=reader.fps,
                max_frames=self.max_frames,
                video_framerate=self.video_framerate,
                start=results.get('start'),
                end=results.get('end'),
            )
            try:
                inds = (
                    INDEX_RULES[self.index_rule](**kwargs)
                    if self.test_mode
                    else sample_frame_indices_jittered(**kwargs)
                )
            except ValueError as e:
                raise VideoDecodeError(path, str(e)) from e
            frames = reader.get_frames(inds)
        except VideoDecodeError as e:
            raise VideoDecodeError(e.path, e.reason, video_id) from e
        imgs = list(frames)
        results.update(
            imgs=imgs,
            frame_inds=np.asarray(inds, dtype=np.int64),
            num_frames=len(imgs),
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
            f'test_mode={self.test_mode}, index_rule={self.index_rule!r})'
        )
