"""The re-ranking stage: top-k choice, re-ranked matrices, both directions,
split across simulated ranks."""

import numpy as np
import pytest
import torch
from torch import nn

from hbi.engine.runner.retrieval_reranking import (
    local_candidates,
    rerank_both_directions,
    score_local_candidates,
)
from hbi.evaluation.functional import retrieval_metrics
from hbi.models.rerankers import (
    BaseReranker,
    pair_lookup,
    rerank_scores,
    score_pairs,
    top_k_indices,
)


def _definition_top_k(row, k):
    """Best first, ties to the lower index: sort by (-score, index)."""
    return [j for _, j in sorted((-s, j) for j, s in enumerate(row))][:k]


@pytest.mark.parametrize('k', [1, 3, 6, 9])
def test_top_k_matches_its_definition_with_ties(k):
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(40, 7)).astype(np.float32)  # ties
    got = top_k_indices(scores, k)
    assert got.shape == (40, min(k, 7)) and got.dtype == np.int64
    for row, top in zip(scores, got):
        assert top.tolist() == _definition_top_k(row.tolist(), k)
    with pytest.raises(ValueError, match='k must be'):
        top_k_indices(scores, 0)


class _TableReranker(BaseReranker):
    """second(t, v) = table[t, v]: a known second-stage score."""

    def __init__(self, table, k, weight):
        super().__init__(k=k, weight=weight)
        self.table = table
        self.calls = []

    def forward(self, model, text_feats, video_feats, ti, vi):
        self.calls.append(len(ti))
        return self.table[text_feats['id'][ti], video_feats['id'][vi]]


class _Model(nn.Module):
    def __init__(self, reranker):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(1))
        self.reranker = reranker

    def rerank_scores(self, text, video, ti, vi):
        return self.reranker(self, text, video, ti, vi)


def _world(num_texts=23, num_videos=9, seed=0):
    rng = np.random.default_rng(seed)
    first = rng.normal(size=(num_texts, num_videos)).astype(np.float32)
    second = rng.normal(size=(num_texts, num_videos)).astype(np.float32)
    return first, second


def _expected_order(first_row, second_row, k, weight):
    """Definition: the top-k by first, ordered by first + w * second, then
    every other item in first-stage order."""
    top = _definition_top_k(first_row.tolist(), k)
    final = {j: first_row[j] + weight * second_row[j] for j in top}
    head = [
        top[p] for _, p in sorted((-final[j], p) for p, j in enumerate(top))
    ]
    rest = [
        j for j in _definition_top_k(first_row.tolist(), 10**6) if j not in top
    ]
    return head + rest


@pytest.mark.parametrize('k, weight', [(1, 2.0), (3, 5.0), (4, -3.0)])
def test_rerank_scores_orders_rows_as_defined(k, weight):
    first, second = _world()
    top = top_k_indices(first, k)
    out = rerank_scores(
        first, top, np.take_along_axis(second, top, axis=1), weight
    )
    for t in range(first.shape[0]):
        order = np.argsort(-out[t], kind='stable').tolist()
        assert order == _expected_order(first[t], second[t], k, weight)
        rest = np.setdiff1d(np.arange(first.shape[1]), top[t])
        # the others keep their first-stage values exactly
        assert np.array_equal(out[t, rest], first[t, rest])
        assert out[t, top[t]].min() > out[t, rest].max()


def test_depth_all_is_exhaustive_first_plus_weight_second():
    first, second = _world()
    weight = 0.7
    for k in (first.shape[1], first.shape[1] + 4):
        top = top_k_indices(first, k)
        out = rerank_scores(
            first, top, np.take_along_axis(second, top, axis=1), weight
        )
        np.testing.assert_array_equal(
            out, (first + weight * second).astype(np.float32)
        )


def test_score_pairs_batches_and_moves_only_named_items():
    _, second = _world(7, 5)
    reranker = _TableReranker(torch.from_numpy(second), k=2, weight=1.0)
    model = _Model(reranker)
    text = {'id': torch.arange(7)}
    video = {'id': torch.arange(5)}
    ti = np.array([0, 6, 6, 3, 2, 1, 0])
    vi = np.array([4, 0, 1, 1, 3, 2, 0])
    got = score_pairs(model, text, video, ti, vi, batch_size=3)
    np.testing.assert_array_equal(got, second[ti, vi])
    assert reranker.calls == [3, 3, 1]
    with pytest.raises(ValueError, match='same|one length'):
        score_pairs(model, text, video, ti, vi[:3])


def test_pair_lookup_refuses_unscored_pairs():
    lookup = pair_lookup(
        np.array([2, 0]), np.array([1, 3]), np.array([5.0, 7.0]), 4
    )
    assert lookup(np.array([[0, 2]]), np.array([[3, 1]])).tolist() == [
        [7.0, 5.0]
    ]
    with pytest.raises(KeyError, match='no second-stage score'):
        lookup(np.array([1]), np.array([1]))


def _ranks_t2v(final_order, gt):
    return [order.index(g) for order, g in zip(final_order, gt)]


@pytest.mark.parametrize('world', [1, 2, 3])
def test_both_directions_split_across_ranks(world):
    """Ranks own rows; rank 0 assembles. Each text's videos and each
    video's texts come in their re-ranked order, and the t2v ranks follow,
    whatever the number of ranks."""
    num_videos, k, weight = 6, 2, 3.0
    gt = np.concatenate([np.arange(num_videos), [0, 2, 2, 5, 1]])
    num_texts = len(gt)
    first, second = _world(num_texts, num_videos, seed=world)
    model = _Model(_TableReranker(torch.from_numpy(second), k, weight))
    video = {'id': torch.arange(num_videos)}
    parts = []
    for rank in range(world):
        ids = np.arange(num_texts)[rank::world]  # any row split
        parts.append(
            score_local_candidates(
                model,
                {'id': torch.from_numpy(ids)},
                video,
                first[ids],
                ids,
                batch_size=4,
            )
        )
    pairs = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
    out = rerank_both_directions(first, pairs, k, weight)

    t2v_orders = [
        _expected_order(first[t], second[t], k, weight)
        for t in range(num_texts)
    ]
    v2t_orders = [
        _expected_order(first[:, v], second[:, v], k, weight)
        for v in range(num_videos)
    ]
    metrics_t2v = retrieval_metrics(out['t2v'], gt, ks=(1, 2, 3))
    ranks = np.array(_ranks_t2v(t2v_orders, gt))
    for cut in (1, 2, 3):
        assert metrics_t2v[f't2v/R@{cut}'] == pytest.approx(
            100 * np.mean(ranks < cut)
        )
    # v2t: each video's captions in its own re-ranked order (the metric's
    # rule for several captions per video then applies to this matrix)
    for v in range(num_videos):
        assert (
            np.argsort(-out['v2t'][:, v], kind='stable').tolist()
            == v2t_orders[v]
        )


def test_local_candidates_cover_row_and_column_top_k():
    first, _ = _world(5, 4)
    rows, cols = local_candidates(first, 2)
    got = set(zip(rows.tolist(), cols.tolist()))
    want = {(t, v) for t in range(5) for v in top_k_indices(first, 2)[t]}
    want |= {(t, v) for v in range(4) for t in top_k_indices(first.T, 2)[v]}
    assert got == want and len(rows) == len(got)
    empty = local_candidates(np.zeros((0, 4), np.float32), 2)
    assert len(empty[0]) == 0
