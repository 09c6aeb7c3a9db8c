"""The query side of :class:`~hbi.apis.VideoSearchIndex`: encoding the
queries, the first stage (exhaustive or two-stage) and the re-ranking
stage."""

import logging
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor

from hbi.models.rerankers import rerank_ranked_lists
from hbi.utils.distributed import concat_tensors, map_tensors

from .first_stage import first_stage_vectors
from .search_inputs import check_count
from .vector_search import InnerProductSearch


class SearchHit(NamedTuple):
    """One result: the video id, its gallery index, its score and whether
    the model's reranker re-scored it.

    ``score`` is ``fused + weight * second`` for a re-ranked hit and the
    fused similarity otherwise; re-ranked hits come first.
    """

    video_id: str
    index: int
    score: float
    reranked: bool = False


class VideoQueryMixin:
    """Searching an index; the index (:class:`VideoSearchIndex`) provides
    ``model``, ``store``, the pipelines, batch and block sizes, its first
    stage and ``_encode``."""

    def encode_queries(self, queries: Sequence[str]) -> Dict[str, Tensor]:
        """The model's text features of ``queries`` (CPU, float)."""
        records = [
            dict(
                item_modality='text',
                caption=q,
                text_index=i,
                video_index=-1,
                video_id='',
            )
            for i, q in enumerate(queries)
        ]
        batches = [
            list(range(s, min(s + self.batch_size, len(records))))
            for s in range(0, len(records), self.batch_size)
        ]
        self._warn_truncated(queries)
        return concat_tensors(
            [
                f
                for _, f, _ in self._encode(
                    records, self.text_pipeline, batches, 'text'
                )
            ]
        )

    def _warn_truncated(self, queries: Sequence[str]) -> None:
        """Log each query longer than the tokenizer's ``max_length``: the
        model reads only its first words."""
        for step in self.text_pipeline.transforms:
            tokenizer = getattr(step, 'tokenizer', None)
            if tokenizer is None or not hasattr(step, 'max_length'):
                continue
            limit = step.max_length - 2  # start and end tokens
            for query, words in zip(queries, tokenizer.tokenize(queries)):
                if len(words) > limit:
                    print_log(
                        f'query {query!r} has {len(words)} tokens; the '
                        f'model reads the first {limit} (max_length='
                        f'{step.max_length}): '
                        f'{tokenizer.decode([words[:limit]])[0]!r}; the rest '
                        'is ignored',
                        logger='current',
                        level=logging.WARNING,
                    )

    def _scores(
        self, text: Dict[str, Tensor], query: int, video: Dict[str, Tensor]
    ) -> np.ndarray:
        device = next(self.model.parameters()).device
        t = map_tensors(lambda x: x[query : query + 1].to(device), text)
        v = map_tensors(lambda x: x.to(device), video)
        with torch.no_grad():
            return (
                self.model.similarity(t, v)['fused'][0].float().cpu().numpy()
            )

    def _top(
        self, scores: np.ndarray, candidates: np.ndarray, k: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        # candidates ascend, so a stable sort ranks ties by gallery index
        order = np.argsort(-scores, kind='stable')[:k]
        return candidates[order], scores[order]

    def search_exhaustive(
        self, text: Dict[str, Tensor], k: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Top-``k`` by the full similarity against every indexed video.

        Returns:
            tuple[np.ndarray, np.ndarray]: gallery indices and scores.

        Shape:
            - outputs: (Q, min(k, N)).
        """
        num_queries = next(iter(text.values())).shape[0]
        scores = np.empty((num_queries, len(self)), dtype=np.float32)
        for c in range(0, len(self), self.block_size):
            block = self.store.features(
                np.arange(c, min(c + self.block_size, len(self)))
            )
            for q in range(num_queries):
                scores[q, c : c + self.block_size] = self._scores(
                    text, q, block
                )
        everything = np.arange(len(self))
        tops = [self._top(row, everything, k) for row in scores]
        return np.stack([t[0] for t in tops]), np.stack([t[1] for t in tops])

    def search_two_stage(
        self, text: Dict[str, Tensor], k: int, rerank_depth: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        """First stage to ``rerank_depth`` candidates, then the full
        similarity on them; same outputs as :meth:`search_exhaustive`."""
        if len(self) == 0:
            raise ValueError(
                f'index {self.store.root!r} is empty: index videos first'
            )
        if self._search is None:
            self._search = InnerProductSearch(
                self.store.first_stage(), self.first_stage, self.faiss_factory
            )
        _, candidates = self._search.search(
            first_stage_vectors(text, 'text'), rerank_depth
        )
        indices, scores = [], []
        for q, cand in enumerate(candidates):
            cand = np.sort(cand[cand >= 0])  # faiss pads with -1
            row = np.concatenate(
                [
                    self._scores(
                        text,
                        q,
                        self.store.features(cand[c : c + self.block_size]),
                    )
                    for c in range(0, len(cand), self.block_size)
                ]
            )
            top = self._top(row, cand, k)
            indices.append(top[0])
            scores.append(top[1])
        return np.stack(indices), np.stack(scores)

    def rerank(
        self, text: Dict[str, Tensor], indices: np.ndarray, scores: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The re-ranking stage on ranked results of the full similarity.

        Each query's first ``model.reranker.k`` results are re-scored by
        ``model.rerank_scores`` and ordered by ``fused + weight * second``
        (ties keep their fused order); the other results follow, in their
        fused order.

        Args:
            text (dict[str, Tensor]): Encoded queries.
            indices (np.ndarray): Gallery indices, best first per query
                (:meth:`search_exhaustive` / :meth:`search_two_stage`).
            scores (np.ndarray): Their fused scores.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: indices, scores (see
            :class:`SearchHit`) and whether each hit was re-ranked.

        Shape:
            - indices, scores, outputs: (Q, n).
        """
        return rerank_ranked_lists(
            self.model,
            text,
            indices,
            scores,
            self.store.features,
            self.rerank_batch_size,
        )

    def search(
        self,
        queries: Sequence[str],
        k: int = 10,
        rerank_depth: Optional[int] = 100,
        rerank: bool = True,
    ) -> List[List[SearchHit]]:
        """The ``k`` best videos of each text query.

        Args:
            queries (Sequence[str]): Free-text queries.
            k (int): Results per query. Defaults to 10.
            rerank_depth (int, optional): First-stage candidates re-ranked by
                the full similarity; None = exhaustive. Defaults to 100.
            rerank (bool): Run the model's re-ranking stage if it has a
                ``reranker`` (:meth:`rerank`). Defaults to True.

        Returns:
            list[list[SearchHit]]: Best first, per query (``min(k, len)``).

        Raises:
            ValueError: ``k`` or ``rerank_depth`` is not a positive integer.
        """
        check_count('k', k, none_ok=False)
        check_count('rerank_depth', rerank_depth, none_ok=True)
        text = self.encode_queries(queries)
        reranker = getattr(self.model, 'reranker', None) if rerank else None
        wanted = k if reranker is None else max(k, reranker.k)
        indices, scores = (
            self.search_exhaustive(text, wanted)
            if rerank_depth is None
            else self.search_two_stage(text, wanted, rerank_depth)
        )
        flags = np.zeros(indices.shape, dtype=bool)
        if reranker is not None:
            indices, scores, flags = self.rerank(text, indices, scores)
        ids = self.store.ids
        return [
            [
                SearchHit(ids[i], int(i), float(s), bool(f))
                for i, s, f in zip(*row)
            ][:k]
            for row in zip(indices, scores, flags)
        ]
