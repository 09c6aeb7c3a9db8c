"""The re-ranking stage of the retrieval loops, split across ranks.

The first-stage matrix is split by text rows across ranks
(:mod:`hbi.engine.runner.retrieval_evaluation`); a rank holds the features
of its own texts and of all videos. Re-ranking both directions needs:

- text-to-video: each text's top-k videos, all within the text's row, so
  the rank owning the row finds and scores them;
- video-to-text: each video's top-k texts over ALL rows. The global top-k
  of a column is among the union of the ranks' top-k within their own rows
  (same order, same tie rule: lower text index first), so each rank also
  scores its own rows' top-k per video.

Each rank therefore scores the union of both candidate sets over its rows
(:func:`score_local_candidates`, all pairs of its own texts) and sends the
sparse ``(text, video, score)`` list to rank 0, which holds the gathered
first-stage matrix and builds both re-ranked matrices
(:func:`rerank_both_directions`). What is scored does not depend on the
number of ranks beyond the extra local column candidates, and the re-ranked
matrices do not depend on it at all (up to the float rounding of a pair
scored in a batch of another composition).
"""

from typing import Dict, Tuple

import numpy as np

from hbi.models.rerankers import (
    pair_lookup,
    rerank_scores,
    score_pairs,
    top_k_indices,
)

Pairs = Tuple[np.ndarray, np.ndarray, np.ndarray]


def local_candidates(rows: np.ndarray, k: int) -> Tuple[np.ndarray, ...]:
    """Pairs a rank must score: each row's top-k columns and each column's
    top-k rows among these rows (unique, row-major order).

    Returns:
        tuple[np.ndarray, np.ndarray]: local row and column of each pair.
    """
    num_rows, num_cols = rows.shape
    if num_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    row_top = top_k_indices(rows, k)
    col_top = top_k_indices(rows.T, k)
    keys = np.concatenate(
        [
            (np.arange(num_rows)[:, None] * num_cols + row_top).ravel(),
            (col_top * num_cols + np.arange(num_cols)[:, None]).ravel(),
        ]
    )
    keys = np.unique(keys)
    return keys // num_cols, keys % num_cols


def score_local_candidates(
    model,
    text_feats: dict,
    video_feats: dict,
    rows: np.ndarray,
    text_ids: np.ndarray,
    batch_size: int,
) -> Pairs:
    """Score this rank's candidate pairs with ``model.rerank_scores``.

    Args:
        model: The unwrapped retriever with a ``reranker``.
        text_feats (dict): Features of this rank's texts (rows of ``rows``).
        video_feats (dict): Features of all videos.
        rows (np.ndarray): This rank's first-stage rows, (n, Nv).
        text_ids (np.ndarray): Global text index of each row, (n,).
        batch_size (int): Pairs per ``rerank_scores`` call.

    Returns:
        tuple: global text index, video index and second-stage score of
        each scored pair.
    """
    local, videos = local_candidates(rows, model.reranker.k)
    if len(local) == 0:
        return local, videos, np.zeros(0, dtype=np.float32)
    second = score_pairs(
        model, text_feats, video_feats, local, videos, batch_size
    )
    return np.asarray(text_ids, np.int64)[local], videos, second


def rerank_both_directions(
    sim: np.ndarray, pairs: Pairs, k: int, weight: float
) -> Dict[str, np.ndarray]:
    """The re-ranked matrices of both directions (on rank 0).

    Args:
        sim (np.ndarray): Full first-stage matrix, (Nt, Nv).
        pairs (tuple): All ranks' scored pairs
            (:func:`score_local_candidates`, concatenated).
        k (int): Re-ranking depth.
        weight (float): Weight of the second-stage score.

    Returns:
        dict[str, np.ndarray]: ``t2v``: each row's top-k videos re-ranked
        (rank texts' queries with it); ``v2t``: each column's top-k texts
        re-ranked (rank videos' queries with it); both (Nt, Nv) laid out
        ``[text, video]``.
    """
    lookup = pair_lookup(*pairs, num_videos=sim.shape[1])
    row_top = top_k_indices(sim, k)
    t2v = rerank_scores(
        sim,
        row_top,
        lookup(np.arange(sim.shape[0])[:, None], row_top),
        weight,
    )
    del row_top
    col_top = top_k_indices(sim.T, k)
    v2t = np.empty_like(t2v)
    rerank_scores(
        sim.T,
        col_top,
        lookup(col_top, np.arange(sim.shape[1])[:, None]),
        weight,
        out=v2t.T,
    )
    return dict(t2v=t2v, v2t=v2t)
