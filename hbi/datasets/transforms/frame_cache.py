"""A disk cache of decoded frames for deterministic frame sampling."""

import hashlib
import logging
import os
import os.path as osp
import tempfile
import zipfile
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from hbi.registry import TRANSFORMS

_CACHED_KEYS = ('frame_inds', 'total_frames', 'avg_fps')
#: Environment variable naming the default cache folder.
CACHE_ENV = 'HBI_FRAME_CACHE_DIR'
# What np.load raises on a truncated or overwritten .npz file.
_DAMAGED = (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError)


def default_cache_dir() -> str:
    """``$HBI_FRAME_CACHE_DIR``, else ``hbi/frame_cache`` in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``): never inside the data,
    which may be read-only or shared."""
    if os.environ.get(CACHE_ENV):
        return os.environ[CACHE_ENV]
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(
        osp.expanduser('~'), '.cache'
    )
    return osp.join(base, 'hbi', 'frame_cache')


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
            Defaults to None: :func:`default_cache_dir`
            (``$HBI_FRAME_CACHE_DIR`` or ``~/.cache/hbi/frame_cache``). Keys
            hold the video's absolute path, so one folder serves every
            dataset; delete it to reclaim the space. Nothing is ever written
            beside the videos.

    A damaged cache file (an interrupted write by another tool, a full
    disk) is logged, decoded again and replaced. A cache folder that cannot
    be written (read-only) is logged once and the frames are decoded
    without caching.
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
        self._ready: Optional[str] = None  # the folder, once made
        self._writable = True

    def _key(self, results: dict) -> str:
        path = results['video_path']
        try:
            stat = os.stat(path)
            file_id = (stat.st_size, stat.st_mtime_ns)
        except OSError:  # let the loader raise its error naming the video
            file_id = None
        spans = [(s['start'], s['end']) for s in self._segments(results)]
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

    def _folder(self) -> Optional[str]:
        """The cache folder (made on first use), None if not writable."""
        if self._ready is None and self._writable:
            folder = self.cache_dir or default_cache_dir()
            try:
                os.makedirs(folder, exist_ok=True)
                if not os.access(folder, os.W_OK):
                    raise PermissionError(f'{folder} is not writable')
            except OSError as e:
                self._writable = False
                print_log(
                    f'FrameCache: cannot write the cache folder {folder!r} '
                    f'({e}); decoding every time. Set cache_dir (or '
                    f'${CACHE_ENV}) to a writable folder.',
                    logger='current',
                    level=logging.WARNING,
                )
                return None
            self._ready = folder
        return self._ready

    def _read(self, cache_file: str, results: dict) -> Optional[dict]:
        try:
            with np.load(cache_file) as data:
                imgs = list(data['imgs'])
                cached = {
                    k: data[k].item() if data[k].ndim == 0 else data[k]
                    for k in _CACHED_KEYS
                }
                if 'segment_kept' in data:
                    segments = self._segments(results)
                    cached['segments'] = [
                        segments[i] for i in data['segment_kept'].tolist()
                    ]
                    cached['segment_frame_counts'] = data[
                        'segment_frame_counts'
                    ].tolist()
        except _DAMAGED as e:
            print_log(
                f'FrameCache: damaged cache file {cache_file} of '
                f'{results["video_path"]} ({type(e).__name__}: {e}); '
                'decoding the video again',
                logger='current',
                level=logging.WARNING,
            )
            return None
        results.update(cached)
        results.update(
            imgs=imgs,
            num_frames=len(results['frame_inds']),
            img_shape=imgs[0].shape[:2],
            original_shape=imgs[0].shape[:2],
            modality='RGB',
        )
        return results

    def transform(self, results: dict) -> dict:
        folder = self._folder()
        if folder is None:
            return self.loader(results)
        cache_file = osp.join(folder, self._key(results) + '.npz')
        if osp.isfile(cache_file):
            cached = self._read(cache_file, results)
            if cached is not None:
                return cached
        segments = self._segments(results)
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
        fd, tmp = tempfile.mkstemp(dir=folder, suffix='.npz.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                np.savez(
                    f,
                    imgs=np.stack(results['imgs']),
                    **{k: np.asarray(results[k]) for k in _CACHED_KEYS},
                    **extra,
                )
            os.replace(tmp, cache_file)
        except OSError as e:  # e.g. a full disk: the frames are still good
            if osp.exists(tmp):
                os.remove(tmp)
            print_log(
                f'FrameCache: cannot write {cache_file} ({e})',
                logger='current',
                level=logging.WARNING,
            )
        return results
