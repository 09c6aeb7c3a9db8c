"""Top-k inner-product search over one vector per gallery item."""

import importlib.util
import logging
from typing import Literal, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

__all__ = ['InnerProductSearch']

Backend = Literal['auto', 'faiss', 'torch']


def faiss_available() -> bool:
    """Whether the optional dependency ``faiss`` can be imported."""
    return importlib.util.find_spec('faiss') is not None


class InnerProductSearch:
    """Top-k by inner product, with faiss when installed, else torch.

    faiss is optional (``pip install faiss-cpu``); without it an exact
    chunked matmul + ``topk`` in torch gives the same candidates (up to the
    order of exactly tied scores) and is fast enough for galleries of a few
    hundred thousand items. The chosen backend is logged.

    Args:
        vectors (np.ndarray | Tensor): Gallery vectors (L2-normalised for a
            cosine search).
        backend (str): ``'auto'`` (faiss if installed), ``'faiss'`` (error
            if missing) or ``'torch'``. Defaults to ``'auto'``.
        faiss_factory (str): ``faiss.index_factory`` description, e.g.
            ``'Flat'`` (exact) or ``'IVF1024,Flat'`` (trained on
            ``vectors``). Defaults to ``'Flat'``.
        query_chunk (int): Queries per matmul of the torch backend.
            Defaults to 256.

    Shape:
        - vectors: (N, D).
    """

    def __init__(
        self,
        vectors,
        backend: Backend = 'auto',
        faiss_factory: str = 'Flat',
        query_chunk: int = 256,
    ) -> None:
        vectors = torch.as_tensor(vectors, dtype=torch.float32)
        if vectors.dim() != 2 or vectors.shape[0] == 0:
            raise ValueError(
                'InnerProductSearch: vectors must be a non-empty '
                f'(N, D) matrix, got {tuple(vectors.shape)}'
            )
        if backend not in ('auto', 'faiss', 'torch'):
            raise ValueError(
                "InnerProductSearch: backend must be 'auto', "
                f"'faiss' or 'torch', got {backend!r}"
            )
        if backend == 'faiss' and not faiss_available():
            raise ImportError(
                "InnerProductSearch: backend='faiss' but faiss "
                'is not installed (pip install faiss-cpu)'
            )
        self.num_items, self.dim = vectors.shape
        self.query_chunk = query_chunk
        self.backend = (
            'faiss'
            if backend == 'faiss' or (backend == 'auto' and faiss_available())
            else 'torch'
        )
        if self.backend == 'faiss':
            import faiss

            data = np.ascontiguousarray(vectors.numpy())
            self.index = faiss.index_factory(
                self.dim, faiss_factory, faiss.METRIC_INNER_PRODUCT
            )
            if not self.index.is_trained:
                self.index.train(data)
            self.index.add(data)
            print_log(
                f'first stage: faiss index {faiss_factory!r} over '
                f'{self.num_items} vectors of {self.dim} dims',
                logger='current',
            )
        else:
            self.vectors = vectors
            print_log(
                'first stage: '
                + ('faiss is not installed, so ' if backend == 'auto' else '')
                + f'an exact torch matmul over {self.num_items} vectors is '
                'used'
                + (
                    ' (pip install faiss-cpu for large galleries)'
                    if backend == 'auto'
                    else ''
                ),
                logger='current',
                level=logging.INFO,
            )

    def search(self, queries, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` best gallery items of each query.

        Args:
            queries (np.ndarray | Tensor): Query vectors.
            k (int): Items per query; capped at the gallery size.

        Returns:
            tuple[np.ndarray, np.ndarray]: float32 scores and int64 indices,
            best first.

        Shape:
            - queries: (Q, D).
            - outputs: (Q, min(k, N)) each.
        """
        queries = torch.as_tensor(queries, dtype=torch.float32)
        if queries.dim() != 2 or queries.shape[1] != self.dim:
            raise ValueError(
                f'InnerProductSearch.search: queries must be '
                f'(Q, {self.dim}), got {tuple(queries.shape)}'
            )
        if not isinstance(k, int) or k < 1:
            raise ValueError(
                f'InnerProductSearch.search: k must be a '
                f'positive int, got {k!r}'
            )
        k = min(k, self.num_items)
        if self.backend == 'faiss':
            scores, indices = self.index.search(
                np.ascontiguousarray(queries.numpy()), k
            )
            return scores.astype(np.float32), indices.astype(np.int64)
        scores, indices = [], []
        for start in range(0, queries.shape[0], self.query_chunk):
            sims = queries[start : start + self.query_chunk] @ self.vectors.t()
            top = sims.topk(k, dim=1)
            scores.append(top.values)
            indices.append(top.indices)
        return (
            torch.cat(scores).numpy(),
            torch.cat(indices).numpy().astype(np.int64),
        )
