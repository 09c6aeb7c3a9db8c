"""A disk cache of decoded frames for deterministic frame sampling."""

import hashlib
import os
import os.path as osp
import tempfile
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from hbi.registry import TRANSFORMS

_CACHED_KEYS = ('frame_inds', 'total_frames', 'avg_fps')


@TRANSFORMS.register_module()
class FrameCache(BaseTransform):
    """Run a deterministic frame loader once per video and keep its output
    on disk.

    Evaluation (and training with A1's fixed indices, as the release does)
    decodes the same frames of a video every epoch; for small videos the
    decoder's per-file cost dominates the whole input pipeline. The first
    call decodes through ``loader`` and writes ``<cache_dir>/<key>.npz``
    (atomically: write to a temporary file, then rename, so DataLoader
    workers can share the folder); later calls read it. The key covers the
    file (path, size, modification time), the clip bounds, the segment
    spans (when the loader samples segments) and the loader's settings, so an
    edited video or a changed config is decoded again.

    **Required Keys:** ``video_path``; optional ``start``, ``end``,
    ``segments``

    **Added Keys:** those of ``loader`` (``imgs``, ``frame_inds``,
    ``num_frames``, ``total_frames``, ``avg_fps``, ``img_shape``,
    ``original_shape``, ``modality``; ``segment_frame_counts`` and the kept
    ``segments`` when it samples segments)

    Args:
        loader (dict): Config of the frame loader, e.g.
            ``dict(type='LoadVideoFrames', test_mode=True)``. Its sampling
            must be deterministic (``test_mode=True``).
        cache_dir (str, optional): Folder of the cache, created if missing.
            Defaults to None: a ``.frame_cache`` folder beside each video
            (so the cache follows ``data_root``).
    """

    def __init__(self, loader: dict, cache_dir: Optional[str] = None) -> None:
        self.loader = TRANSFORMS.build(loader)
        if not getattr(self.loader, 'test_mode', True):
            raise ValueError(
                'FrameCache needs deterministic sampling: caching the random '
                'frame jitter of test_mode=False would freeze the '
                f'augmentation; got {self.loader!r}'
            )
        self.cache_dir = cache_dir

    def _key(self, results: dict) -> str:
        path = results['video_path']
        try:
            stat = os.stat(path)
            file_id = (stat.st_size, stat.st_mtime_ns)
        except OSError:  # let the loader raise its error naming the video
            file_id = None
        spans = [
            (segment['start'], segment['end'])
            for segment in self._segments(results)
        ]
        raw = repr(
            (
                osp.abspath(path),
                file_id,
                results.get('start'),
                results.get('end'),
                repr(self.loader),
            )
            + ((spans,) if spans else ())
        )
        return hashlib.sha1(raw.encode()).hexdigest()

    def _segments(self, results: dict) -> list:
        """The segments the loader samples (none if it samples none)."""
        if not getattr(self.loader, 'segment_frames', 0):
            return []
        return list(results.get('segments') or ())

    def transform(self, results: dict) -> dict:
        segments = self._segments(results)
        cache_dir = self.cache_dir or osp.join(
            osp.dirname(osp.abspath(results['video_path'])), '.frame_cache'
        )
        os.makedirs(cache_dir, exist_ok=True)
        cache_file = osp.join(cache_dir, self._key(results) + '.npz')
        if osp.isfile(cache_file):
            with np.load(cache_file) as data:
                imgs = list(data['imgs'])
                results.update(
                    {
                        k: data[k].item() if data[k].ndim == 0 else data[k]
                        for k in _CACHED_KEYS
                    }
                )
                if 'segment_kept' in data:
                    results['segments'] = [
                        segments[i] for i in data['segment_kept'].tolist()
                    ]
                    results['segment_frame_counts'] = data[
                        'segment_frame_counts'
                    ].tolist()
            results.update(
                imgs=imgs,
                num_frames=len(results['frame_inds']),
                img_shape=imgs[0].shape[:2],
                original_shape=imgs[0].shape[:2],
                modality='RGB',
            )
            return results
        results = self.loader(results)
        extra = {}
        if 'segment_frame_counts' in results:
            kept = {id(segment) for segment in results['segments']}
            extra = dict(
                segment_kept=np.asarray(
                    [i for i, s in enumerate(segments) if id(s) in kept],
                    dtype=np.int64,
                ),
                segment_frame_counts=np.asarray(
                    results['segment_frame_counts'], dtype=np.int64
                ),
            )
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix='.npz.tmp')
        with os.fdopen(fd, 'wb') as f:
            np.savez(
                f,
                imgs=np.stack(results['imgs']),
                **{k: np.asarray(results[k]) for k in _CACHED_KEYS},
                **extra,
            )
        os.replace(tmp, cache_file)
        return results
