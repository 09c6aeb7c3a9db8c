import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hbi.models.layers import (
    ClusterTokenMerge,
    TokenClusterBlock,
    dpc_knn_cluster,
)


def _ref_cluster(x, num_clusters, k, mask):
    """Plain-python DPC-KNN of docs/en/methods/hbi.md A5 step 2 (float64), with
    the
    documented index tie-breaking."""
    x = np.asarray(x, dtype=np.float64)
    batch, n, c = x.shape
    d = np.zeros((batch, n, n))
    for b in range(batch):
        for i in range(n):
            for j in range(n):
                d[b, i, j] = math.sqrt(((x[b, i] - x[b, j]) ** 2).sum() / c)
    if mask is not None:
        big = d.max() + 1
        for b in range(batch):
            for j in range(n):
                if not mask[b][j]:
                    d[b, :, j] = big
    assignments, centres_all = [], []
    for b in range(batch):
        rho = []
        for i in range(n):
            if mask is not None and not mask[b][i]:
                rho.append(0.0)
            else:
                rho.append(math.exp(-np.mean(np.sort(d[b, i])[:k] ** 2)))
        dmax = d[b].max()
        delta = []
        for i in range(n):
            higher = [
                d[b, i, j]
                for j in range(n)
                if rho[j] > rho[i] or (rho[j] == rho[i] and j < i)
            ]
            delta.append(min(higher) if higher else dmax)
        score = [r * dl for r, dl in zip(rho, delta)]
        centres = sorted(range(n), key=lambda i: (-score[i], i))[:num_clusters]
        assign = [
            min(range(num_clusters), key=lambda ci: (d[b, centres[ci], j], ci))
            for j in range(n)
        ]
        for ci, i in enumerate(centres):
            assign[i] = ci
        assignments.append(assign)
        centres_all.append(centres)
    return np.array(assignments), np.array(centres_all)


def _ref_merge(x, assign, num_clusters, weights):
    x, weights = np.asarray(x, np.float64), np.asarray(weights, np.float64)
    out = np.zeros((x.shape[0], num_clusters, x.shape[2]))
    for b in range(x.shape[0]):
        for ci in range(num_clusters):
            members = [j for j in range(x.shape[1]) if assign[b, j] == ci]
            total = sum(weights[b, j] for j in members) + 1e-6
            for j in members:
                out[b, ci] += weights[b, j] / total * x[b, j]
    return out


@pytest.mark.parametrize('with_mask', [False, True])
def test_dpc_knn_matches_loop(with_mask):
    torch.manual_seed(0)
    x = torch.randn(4, 10, 6)
    mask = None
    if with_mask:
        mask = torch.ones(4, 10, dtype=torch.long)
        mask[0, 7:] = 0
        mask[1, 2:] = 0  # fewer real tokens than k
        mask[3, 4:] = 0  # fewer real tokens than clusters
    assign, centres = dpc_knn_cluster(x, 5, k=3, mask=mask)
    ref_assign, ref_centres = _ref_cluster(
        x.numpy(), 5, 3, None if mask is None else mask.tolist()
    )
    np.testing.assert_array_equal(centres.numpy(), ref_centres)
    np.testing.assert_array_equal(assign.numpy(), ref_assign)


def test_dpc_knn_ties_are_deterministic():
    a, b, c = torch.randn(3, 4).unbind(0)
    x = torch.stack([a, a, b, b, c, c])[None]  # pairs of equal densities
    assign, centres = dpc_knn_cluster(x, 3, k=3)
    ref_assign, ref_centres = _ref_cluster(x.numpy(), 3, 3, None)
    np.testing.assert_array_equal(centres.numpy(), ref_centres)
    np.testing.assert_array_equal(assign.numpy(), ref_assign)
    # duplicates always end up in the same cluster
    assert assign[0, 0] == assign[0, 1] and assign[0, 2] == assign[0, 3]
    again = dpc_knn_cluster(x, 3, k=3)
    assert torch.equal(again[0], assign) and torch.equal(again[1], centres)


def test_dpc_knn_ignores_asymmetric_distance_rounding(monkeypatch):
    """cdist's matmul form rounds d(i, j), d(j, i) and d(i, i) differently
    on each device; an item with two real tokens (an exact density tie) must
    cluster the same whatever that rounding is."""
    torch.manual_seed(0)
    x = torch.randn(3, 32, 16, dtype=torch.float64)
    mask = torch.zeros(3, 32)
    mask[:, :2] = 1
    mask[2, :5] = 1
    ref = dpc_knn_cluster(x, 8, k=3, mask=mask)
    cdist = torch.cdist
    for sign in (1, -1):

        def rounded_cdist(a, b, sign=sign):
            dist = cdist(a, b)
            upper = torch.ones_like(dist).triu(1)
            return dist * (1 + sign * 1e-12 * upper) + 1e-9 * torch.eye(
                dist.shape[-1], dtype=dist.dtype
            )

        monkeypatch.setattr(torch, 'cdist', rounded_cdist)
        got = dpc_knn_cluster(x, 8, k=3, mask=mask)
        assert torch.equal(got[0], ref[0]) and torch.equal(got[1], ref[1])
    assert ref[1][0, :2].tolist() == [0, 1]  # the tie goes to the index


def test_dpc_knn_rejects_bad_cluster_count():
    with pytest.raises(ValueError, match='num_clusters'):
        dpc_knn_cluster(torch.randn(1, 3, 2), 4)


@pytest.mark.parametrize('with_mask', [False, True])
def test_ctm_matches_manual(with_mask):
    torch.manual_seed(1)
    ctm = ClusterTokenMerge(embed_dim=8, rate=0.25, k=3)
    with torch.no_grad():
        ctm.norm.weight.uniform_(0.5, 1.5)
        ctm.norm.bias.uniform_(-0.2, 0.2)
    x = torch.randn(3, 12, 8)
    mask = torch.ones(3, 12)
    if with_mask:
        mask[0, 9:] = 0
        mask[2, 5:] = 0
    merged, tokens, score = ctm(x, mask if with_mask else None)
    assert merged.shape == (3, 3, 8)
    # step 1 by hand: residual conv with zero padding, LayerNorm, score
    w = ctm.conv.weight  # (out, in, 3)
    padded = F.pad(x, (0, 0, 1, 1))
    conv = sum(padded[:, o : o + 12] @ w[:, :, o].t() for o in range(3))
    step1 = F.layer_norm(x + conv, (8,), ctm.norm.weight, ctm.norm.bias)
    torch.testing.assert_close(tokens, step1, atol=1e-5, rtol=1e-5)
    expected_score = step1 @ ctm.score.weight[0] + ctm.score.bias
    if with_mask:
        expected_score = expected_score.masked_fill(mask == 0, float('-inf'))
    torch.testing.assert_close(score, expected_score, atol=1e-5, rtol=1e-5)
    ref_assign, _ = _ref_cluster(
        step1.detach().numpy(), 3, 3, mask.tolist() if with_mask else None
    )
    ref = _ref_merge(
        step1.detach().numpy(),
        ref_assign,
        3,
        expected_score.exp().detach().numpy(),
    )
    np.testing.assert_allclose(merged.detach().numpy(), ref, atol=1e-5)
    if with_mask:  # padded tokens carry no weight
        assert torch.all(score[mask == 0].exp() == 0)


def test_ctm_gradients_flow_to_tokens_and_score():
    torch.manual_seed(2)
    ctm = ClusterTokenMerge(embed_dim=8, rate=0.5)
    x = torch.randn(2, 6, 8, requires_grad=True)
    merged, _, _ = ctm(x, torch.tensor([[1] * 6, [1, 1, 1, 1, 0, 0]]))
    merged.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert ctm.score.weight.grad.abs().sum() > 0
    assert ClusterTokenMerge(8, 0.25).num_clusters(12) == 3
    assert ClusterTokenMerge(8, 0.5).num_clusters(3) == 2
    with pytest.raises(ValueError, match='rate'):
        ClusterTokenMerge(8, 0.0)


def test_tcblock_matches_manual_attention():
    torch.manual_seed(3)
    block = TokenClusterBlock(embed_dim=8, num_heads=2)
    merged, tokens = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    score = torch.randn(2, 5)
    score[1, 3:] = float('-inf')
    out = block(merged, tokens, score)
    ln = block.norm1
    attn = block.attn
    for b in range(2):
        q_in = F.layer_norm(merged[b], (8,), ln.weight, ln.bias)
        kv_in = F.layer_norm(tokens[b], (8,), ln.weight, ln.bias)
        q = q_in @ attn.q.weight.t() + attn.q.bias
        kv = kv_in @ attn.kv.weight.t() + attn.kv.bias
        k, v = kv[:, :8], kv[:, 8:]
        heads = []
        for h in range(2):
            sl = slice(4 * h, 4 * h + 4)
            logits = q[:, sl] @ k[:, sl].t() / math.sqrt(4) + score[b][None]
            heads.append(torch.softmax(logits, -1) @ v[:, sl])
        expected = (
            merged[b]
            + torch.cat(heads, -1) @ attn.proj.weight.t()
            + attn.proj.bias
        )
        torch.testing.assert_close(out[b], expected, atol=1e-5, rtol=1e-5)
    # a masked key has no influence
    tokens2 = tokens.clone()
    tokens2[1, 3:] = 50.0
    torch.testing.assert_close(block(merged, tokens2, score)[1], out[1])
    with pytest.raises(ValueError, match='divisible'):
        TokenClusterBlock(embed_dim=10, num_heads=3)
