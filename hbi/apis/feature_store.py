"""Video features on disk, written in shards so that indexing can resume."""

import json
import os
import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

__all__ = ['FeatureStore']

META_FILE = 'meta.json'
SHARD_PATTERN = 'shard_{:06d}.pt'


class FeatureStore:
    """A folder of feature shards: ``meta.json`` plus ``shard_XXXXXX.pt``.

    Each shard holds the ids, the model's full per-level features
    (``model.encode_video``'s dict, every tensor's first dim = the videos)
    and the first-stage vectors of one batch. A shard is written to a
    temporary file and renamed, so an interrupted run leaves only complete
    shards; a new run skips every id already stored. Shards are opened with
    ``mmap`` so that re-ranking reads only the candidates' rows.

    ``meta.json`` records a ``fingerprint`` of the model and pipeline; a
    store written with another one is refused rather than mixed.

    Args:
        root (str): The folder (created if missing).
        fingerprint (str): Identifies the model + pipeline of the features.
    """

    def __init__(self, root: str, fingerprint: str) -> None:
        self.root = root
        os.makedirs(root, exist_ok=True)
        meta_path = osp.join(root, META_FILE)
        if osp.isfile(meta_path):
            with open(meta_path) as f:
                stored = json.load(f).get('fingerprint')
            if stored != fingerprint:
                raise ValueError(
                    f'FeatureStore {root!r} holds features of another model '
                    f'or pipeline (fingerprint {stored!r}, this one '
                    f'{fingerprint!r}); use a new folder or delete it'
                )
        else:
            with open(meta_path, 'w') as f:
                json.dump(dict(fingerprint=fingerprint, format=1), f)
        self.fingerprint = fingerprint
        self._shards: List[dict] = []
        self._ids: List[str] = []
        self._where: List[Tuple[int, int]] = []
        for path in sorted(glob(osp.join(root, 'shard_*.pt'))):
            self._open(path)

    def _open(self, path: str) -> None:
        shard = torch.load(
            path, map_location='cpu', mmap=True, weights_only=True
        )
        number = len(self._shards)
        self._shards.append(shard)
        for row, video_id in enumerate(shard['ids']):
            self._ids.append(video_id)
            self._where.append((number, row))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> List[str]:
        """Stored video ids, in storage order."""
        return list(self._ids)

    def add(
        self,
        ids: Sequence[str],
        features: Dict[str, Tensor],
        first_stage: Tensor,
    ) -> None:
        """Write one shard.

        Args:
            ids (Sequence[str]): Video ids of the rows.
            features (dict[str, Tensor]): Full features, first dim = rows.
            first_stage (Tensor): First-stage vectors.

        Shape:
            - first_stage: (len(ids), D).
        """
        n = len(ids)
        bad = [k for k, v in features.items() if v.shape[0] != n]
        if bad or first_stage.shape[0] != n:
            raise ValueError(
                f'FeatureStore.add: {n} ids but features '
                f'{bad or ["first_stage"]} have other lengths'
            )
        path = osp.join(self.root, SHARD_PATTERN.format(len(self._shards)))
        tmp = path + '.tmp'
        torch.save(
            dict(
                ids=list(ids),
                features={k: v.contiguous() for k, v in features.items()},
                first_stage=first_stage.contiguous(),
            ),
            tmp,
        )
        os.replace(tmp, path)
        self._open(path)

    def first_stage(self) -> Tensor:
        """All first-stage vectors, in storage order.

        Shape:
            - output: (N, D).
        """
        return torch.cat([s['first_stage'] for s in self._shards])

    def features(
        self, indices: Optional[np.ndarray] = None
    ) -> Dict[str, Tensor]:
        """Full features of the items ``indices`` (storage order), or of all.

        Args:
            indices (np.ndarray, optional): Item indices. Defaults to all.

        Returns:
            dict[str, Tensor]: Features, rows in the order of ``indices``.
        """
        if indices is None:
            indices = np.arange(len(self))
        if len(self) == 0:
            raise ValueError(f'FeatureStore {self.root!r} is empty')
        where = np.asarray(
            [self._where[int(i)] for i in indices], dtype=np.int64
        ).reshape(-1, 2)
        out = {}
        for key, first in self._shards[0]['features'].items():
            value = first.new_empty((len(where),) + tuple(first.shape[1:]))
            for shard in np.unique(where[:, 0]):
                pos = np.flatnonzero(where[:, 0] == shard)
                source = self._shards[shard]['features'][key]
                value[torch.as_tensor(pos)] = source[
                    torch.as_tensor(where[pos, 1])
                ]
            out[key] = value
        return out
