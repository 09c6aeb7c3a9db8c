"""The re-ranking stage: top-k by the first-stage score, re-scored.

Shared by the retrieval test loop and :class:`hbi.apis.VideoSearchIndex`,
for any reranker (:class:`~hbi.models.rerankers.BaseReranker`):

1. :func:`top_k_indices`: for each query row, the ``k`` items of highest
   first-stage score, best first; ties go to the lower item index, so the
   choice is deterministic and the same wherever it is computed.
2. :func:`score_pairs`: the model's second-stage score of those pairs,
   computed in batches of pairs (only the items a batch needs are moved to
   the model's device).
3. :func:`rerank_scores`: the re-ranked matrix. A re-ranked pair scores
   ``first + weight * second``; every other pair keeps its first-stage
   score, and if some of them would rank above a re-ranked pair of the same
   row, the row's re-ranked scores are all raised by one constant until the
   lowest is above the best of the others. So the re-ranked pairs are
   ordered among themselves by ``first + weight * second``, the others keep
   their first-stage order (their values are untouched, bit for bit), and
   every re-ranked pair ranks above every other one. With ``k`` at least
   the number of items every pair is re-ranked, nothing is raised, and the
   matrix is exactly ``first + weight * second``.

For the video-to-text direction the same is applied to the columns
(videos as queries): each video's top-k texts by first-stage score are
re-scored; see ``docs/en/advanced_guides/reranking.md``.
"""

from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import is_main_process
from torch import Tensor
from tqdm import tqdm

from hbi.evaluation.functional.retrieval import iter_row_chunks
from hbi.utils.distributed import map_tensors

__all__ = [
    'top_k_indices',
    'score_pairs',
    'rerank_scores',
    'rerank_ranked_lists',
    'pair_lookup',
]

#: Relative gap that keeps raised re-ranked scores strictly above the rest
#: after float32 rounding (about 80 float32 ulps).
_GAP = 1e-5


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` highest scores of each row, best first.

    Ties are broken towards the lower column index (also at the cut-off),
    so the result is deterministic. Works in row chunks (``O(N M)``, with
    ``np.partition`` rather than a full sort).

    Args:
        scores (np.ndarray): Finite scores.
        k (int): Items per row, ``>= 1``; at most the number of columns are
            returned.

    Returns:
        np.ndarray: int64 column indices.

    Shape:
        - scores: :math:`(N, M)`.
        - output: :math:`(N, \\min(k, M))`.
    """
    if scores.ndim != 2:
        raise ValueError(
            f'top_k_indices: scores must be 2-D, got shape {scores.shape}'
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f'top_k_indices: k must be an int >= 1, got {k!r}')
    num_rows, num_cols = scores.shape
    k = min(int(k), num_cols)
    out = np.empty((num_rows, k), dtype=np.int64)
    for rows in iter_row_chunks(num_rows, num_cols):
        chunk = scores[rows]
        if k == num_cols:
            out[rows] = np.argsort(-chunk, axis=1, kind='stable')
            continue
        kth = -np.partition(-chunk, k - 1, axis=1)[:, k - 1 : k]
        above = chunk > kth
        tied = chunk == kth
        need = k - above.sum(axis=1, keepdims=True)
        chosen = above | (tied & (np.cumsum(tied, axis=1) <= need))
        cols = np.nonzero(chosen)[1].reshape(-1, k)  # ascending per row
        order = np.argsort(
            -np.take_along_axis(chunk, cols, axis=1), axis=1, kind='stable'
        )
        out[rows] = np.take_along_axis(cols, order, axis=1)
    return out


@torch.no_grad()
def score_pairs(
    model,
    text_feats: Dict[str, Tensor],
    video_feats: Dict[str, Tensor],
    text_index: np.ndarray,
    video_index: np.ndarray,
    batch_size: int = 256,
) -> np.ndarray:
    """``model.rerank_scores`` of the pairs, in batches of pairs.

    Each batch moves only the texts and videos it names to the model's
    device and calls ``model.rerank_scores`` with indices into them.

    Args:
        model: Has ``rerank_scores(text_feats, video_feats, text_index,
            video_index) -> Tensor[P]`` and parameters (for the device).
        text_feats (dict[str, Tensor]): Encoded texts (CPU is fine).
        video_feats (dict[str, Tensor]): Encoded videos.
        text_index (np.ndarray): Text row of each pair.
        video_index (np.ndarray): Video row of each pair.
        batch_size (int): Pairs per call. Defaults to 256.

    Returns:
        np.ndarray: float32 second-stage score of each pair.

    Shape:
        - text_index, video_index, output: :math:`(P,)`.
    """
    text_index = np.asarray(text_index, dtype=np.int64)
    video_index = np.asarray(video_index, dtype=np.int64)
    if text_index.shape != video_index.shape or text_index.ndim != 1:
        raise ValueError(
            'score_pairs: text_index and video_index must be 1-D of '
            f'one length, got {text_index.shape} and {video_index.shape}'
        )
    if batch_size < 1:
        raise ValueError(
            f'score_pairs: batch_size must be >= 1, got {batch_size}'
        )
    device = next(model.parameters()).device
    out = np.empty(len(text_index), dtype=np.float32)
    progress = tqdm(
        total=len(out),
        desc='re-rank pairs',
        unit='pair',
        disable=not is_main_process() or len(out) <= batch_size,
        dynamic_ncols=True,
    )
    for start in range(0, len(text_index), batch_size):
        stop = start + batch_size
        texts, t_local = np.unique(text_index[start:stop], return_inverse=True)
        videos, v_local = np.unique(
            video_index[start:stop], return_inverse=True
        )
        t_rows, v_rows = torch.from_numpy(texts), torch.from_numpy(videos)
        scores = model.rerank_scores(
            map_tensors(lambda x: x[t_rows].to(device), text_feats),
            map_tensors(lambda x: x[v_rows].to(device), video_feats),
            torch.from_numpy(t_local.reshape(-1)).to(device),
            torch.from_numpy(v_local.reshape(-1)).to(device),
        )
        if tuple(scores.shape) != (len(t_local),):
            raise ValueError(
                'score_pairs: rerank_scores must return one score per pair, '
                f'got shape {tuple(scores.shape)} for {len(t_local)} pairs'
            )
        out[start:stop] = scores.float().cpu().numpy()
        progress.update(len(t_local))
    progress.close()
    return out


def pair_lookup(
    text_index: np.ndarray,
    video_index: np.ndarray,
    values: np.ndarray,
    num_videos: int,
):
    """A vectorised ``(text, video) -> value`` map over scored pairs.

    Args:
        text_index, video_index (np.ndarray): The scored pairs (unique).
        values (np.ndarray): Their scores.
        num_videos (int): Number of videos (to key a pair as one int).

    Returns:
        callable: ``lookup(texts, videos) -> values`` for arrays of any
        (equal) shape; raises ``KeyError`` on a pair that was not scored.
    """
    keys = np.asarray(text_index, np.int64) * num_videos + np.asarray(
        video_index, np.int64
    )
    order = np.argsort(keys, kind='stable')
    keys, values = keys[order], np.asarray(values)[order]

    def lookup(texts: np.ndarray, videos: np.ndarray) -> np.ndarray:
        wanted = np.asarray(texts, np.int64) * num_videos + videos
        pos = np.searchsorted(keys, wanted).clip(max=max(len(keys) - 1, 0))
        if len(keys) == 0 or not np.array_equal(keys[pos], wanted):
            raise KeyError(
                're-ranking stage: a top-k pair has no second-stage score '
                '(the ranks scored other pairs than the ones selected)'
            )
        return values[pos]

    return lookup


def rerank_scores(
    first: np.ndarray,
    top: np.ndarray,
    second: np.ndarray,
    weight: float,
    out: Optional[np.ndarray] = None,
) -> np.ndarray:
    """The re-ranked matrix of the module docstring, one row per query.

    Args:
        first (np.ndarray): First-stage scores.
        top (np.ndarray): Re-ranked columns of each row
            (:func:`top_k_indices` of ``first``).
        second (np.ndarray): Second-stage score of each of them.
        weight (float): Weight of ``second``.
        out (np.ndarray, optional): Output array of ``first``'s shape (may
            be a transposed view, to re-rank the columns of a matrix in
            place of a copy). Defaults to a new array.

    Returns:
        np.ndarray: ``first`` with the re-ranked entries replaced (float32
        for float32 input).

    Shape:
        - first: :math:`(N, M)`; top, second: :math:`(N, k)`.
        - output: :math:`(N, M)`.
    """
    if top.shape != second.shape or top.shape[0] != first.shape[0]:
        raise ValueError(
            'rerank_scores: top and second must be (N, k) for first '
            f'{first.shape}, got {top.shape} and {second.shape}'
        )
    dtype = np.result_type(first.dtype, np.float32)
    if out is None:
        out = np.empty(first.shape, dtype=dtype)
    for rows in iter_row_chunks(*first.shape):
        chunk = np.array(first[rows], dtype=dtype)
        cols = top[rows]
        final = (
            np.take_along_axis(chunk, cols, axis=1) + weight * second[rows]
        ).astype(dtype)
        lowest = final.min(axis=1, initial=np.inf)
        others = chunk.copy()
        np.put_along_axis(others, cols, -np.inf, axis=1)
        best_other = others.max(axis=1, initial=-np.inf)
        # Rows without other pairs (k >= M) or already in order: 0.
        clash = best_other >= lowest
        raise_by = np.zeros(len(lowest), dtype=dtype)
        raise_by[clash] = (
            best_other[clash]
            - lowest[clash]
            + _GAP
            * np.maximum(
                1.0,
                np.maximum(np.abs(lowest[clash]), np.abs(best_other[clash])),
            )
        )
        np.put_along_axis(chunk, cols, final + raise_by[:, None], axis=1)
        out[rows] = chunk
    return out


def rerank_ranked_lists(
    model,
    text_feats: Dict[str, Tensor],
    indices: np.ndarray,
    scores: np.ndarray,
    video_features: Callable[[np.ndarray], Dict[str, Tensor]],
    batch_size: int = 256,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stage on ranked lists (one query's results per row, best first,
    e.g. a search's), where the lists, not a matrix, are the output.

    Each list's first ``model.reranker.k`` items are re-scored and ordered
    by ``first + weight * second`` (ties keep their first-stage order); the
    rest follow in their first-stage order.

    Args:
        model: Has ``reranker`` (``k``, ``weight``) and ``rerank_scores``.
        text_feats (dict[str, Tensor]): Encoded queries, one per row.
        indices (np.ndarray): Item (video) indices, best first per row.
        scores (np.ndarray): Their first-stage scores.
        video_features (callable): Features of given item indices.
        batch_size (int): Pairs per ``rerank_scores`` call.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: indices, scores
        (``final`` for a re-ranked item, the first-stage score otherwise)
        and whether each item was re-ranked.

    Shape:
        - indices, scores, outputs: :math:`(Q, n)`.
    """
    depth = min(model.reranker.k, indices.shape[1])
    top = indices[:, :depth]
    videos, local = np.unique(top, return_inverse=True)
    second = score_pairs(
        model,
        text_feats,
        video_features(videos),
        np.repeat(np.arange(len(top)), depth),
        local.reshape(-1),
        batch_size,
    ).reshape(top.shape)
    final = scores[:, :depth] + model.reranker.weight * second
    order = np.argsort(-final, axis=1, kind='stable')
    out_idx, out_scores = indices.copy(), scores.copy()
    out_idx[:, :depth] = np.take_along_axis(top, order, axis=1)
    out_scores[:, :depth] = np.take_along_axis(final, order, axis=1)
    reranked = np.zeros(indices.shape, dtype=bool)
    reranked[:, :depth] = True
    return out_idx, out_scores, reranked
