"""A disk cache of Monte-Carlo Banzhaf labels (``docs/en/methods/hbi.md`` A8).

The teacher (A7) is trained against Monte-Carlo Banzhaf Interaction labels of
the frozen model; they depend only on the pair (video, frames, caption), the
frozen model's weights and the game's settings, so they are computed once and
stored, one small ``.npy`` per pair, in a folder sharded by the first two hex
digits of the key (``<root>/ab/abcdef....npy``).

- The key is a SHA-256 of every field the label depends on
  (:func:`label_key`); changing the frozen model changes its fingerprint
  (:func:`state_dict_fingerprint`), so stale labels are never returned.
- The Monte-Carlo draws are seeded from the key (:func:`seed_from_key`), so a
  recomputed label equals the cached one.
- Writes are atomic (a temporary file in the same folder, then
  ``os.replace``), so DataLoader workers and ranks can share one folder: a
  reader sees a whole file or none, and two writers of one key write the same
  bytes.
- :meth:`BanzhafLabelCache.put` returns the label rounded to the stored dtype,
  so a hit returns exactly what a miss returned.

We write our own: mmengine has no content-addressed array cache, and
``joblib.Memory`` (not a dependency) keys on Python arguments, not on a model
fingerprint computed once.
"""

import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any, Callable, Dict, Optional, Union

import numpy as np
import torch
from torch import nn

StateDict = Dict[str, torch.Tensor]
_DTYPES = {'float16': np.float16, 'float32': np.float32}


def _update_with_tensor(digest, tensor: torch.Tensor) -> None:
    tensor = tensor.detach().cpu().contiguous()
    # bytes through uint8 works for every dtype numpy lacks (bfloat16).
    digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())


def tensor_digest(tensor: torch.Tensor) -> str:
    """SHA-256 hex digest of a tensor's dtype, shape and bytes.

    Args:
        tensor (Tensor): Any tensor (moved to the CPU to hash it).

    Returns:
        str: 64 hex digits.
    """
    digest = hashlib.sha256(f'{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
    _update_with_tensor(digest, tensor)
    return digest.hexdigest()


def state_dict_fingerprint(
    module_or_state: Union[nn.Module, StateDict],
) -> str:
    """SHA-256 hex digest of every tensor (name, dtype, shape, bytes).

    Args:
        module_or_state (nn.Module | dict): A module (its ``state_dict()``,
            buffers included) or a state dict.

    Returns:
        str: 64 hex digits; equal for equal weights, different as soon as one
        element, name, shape or dtype differs.
    """
    state = (
        module_or_state.state_dict()
        if isinstance(module_or_state, nn.Module)
        else module_or_state
    )
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name]
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        _update_with_tensor(digest, tensor)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return np.asarray(
            value.cpu() if isinstance(value, torch.Tensor) else value
        ).tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return repr(value)  # exact, not json's shortest-repr rounding rules
    return value


def label_key(**fields: Any) -> str:
    """SHA-256 hex key of named fields (order-independent).

    Fields are e.g. ``video_id``, ``text_index``, ``caption``, ``frame_inds``,
    ``model`` (a fingerprint), ``num_samples``, ``scale`` and ``seed``.
    Arrays and tensors are keyed by their values.

    Returns:
        str: 64 hex digits.
    """
    text = json.dumps(
        {k: _jsonable(v) for k, v in fields.items()}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def seed_from_key(key: str) -> int:
    """A 63-bit seed for ``torch.Generator.manual_seed`` derived from a key."""
    return int(key[:16], 16) & ((1 << 63) - 1)


class BanzhafLabelCache:
    """Label arrays on disk, one ``.npy`` per key, sharded by key prefix.

    Args:
        root (str): Cache folder (created if missing).
        dtype (str): ``'float32'`` or ``'float16'`` storage. Defaults to
            ``'float32'``.

    Attributes:
        hits (int), misses (int): Counts of :meth:`get_or_compute` in this
            process.

    Examples:
        >>> cache = BanzhafLabelCache('/tmp/labels')
        >>> key = label_key(video_id='video0', model='ab12', seed=0)
        >>> labels = cache.get_or_compute(key, lambda: np.ones((3, 4)))
    """

    def __init__(self, root: str, dtype: str = 'float32') -> None:
        if dtype not in _DTYPES:
            raise ValueError(
                f'BanzhafLabelCache: dtype must be one of '
                f'{sorted(_DTYPES)}, got {dtype!r}'
            )
        self.root = root
        self.dtype = _DTYPES[dtype]
        self.hits = self.misses = 0
        os.makedirs(root, exist_ok=True)

    def path(self, key: str) -> str:
        """File of ``key``."""
        if len(key) < 3 or not all(c in '0123456789abcdef' for c in key):
            raise ValueError(
                f'BanzhafLabelCache: key must be lower-case hex '
                f'(see label_key), got {key!r}'
            )
        return osp.join(self.root, key[:2], f'{key}.npy')

    def get(self, key: str) -> Optional[np.ndarray]:
        """The stored array of ``key``, or None."""
        path = self.path(key)
        if not osp.isfile(path):
            return None
        return np.load(path, allow_pickle=False)

    def put(self, key: str, array: np.ndarray) -> np.ndarray:
        """Store ``array`` atomically; return it as stored (rounded)."""
        stored = np.ascontiguousarray(np.asarray(array, dtype=self.dtype))
        path = self.path(key)
        folder = osp.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                np.save(f, stored, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
        return stored

    def get_or_compute(
        self, key: str, compute: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """The stored array, or ``compute()`` stored then returned."""
        cached = self.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        return self.put(key, compute())
