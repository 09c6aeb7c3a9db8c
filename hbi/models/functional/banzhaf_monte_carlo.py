"""Monte-Carlo Banzhaf Interaction of HBI's word-frame game
(docs/en/methods/hbi.md A8),
vectorised.

Private helper of :func:`hbi.models.functional.banzhaf.banzhaf_interaction`;
the estimator and the game are described there. Here: how the four values of
every pair (i, j) for one sampled subset R of all the players are combined in
O(Lt * Lv) instead of O(Lt^2 * Lv^2).

For the pair (i, j) let S = R - {i, j}; the four coalitions are (T_x, V_y), x,
y in {0, 1}, with T_0 = R_t - {i}, T_1 = T_0 + {i}, V_0 = R_v - {j}, V_1 = V_0
+ {j}. With e = exp(word logit - c) (c the game's largest real word logit, so e
<= 1) and rm_y[a, j] = max_{b in V_y} A[a, b], the t2v
parts of v(S+ij) - v(S+i) - v(S+j) + v(S) sum to::

    sum_{x,y} (-1)^(x+y) t2v(T_x, V_y)
        = e_i / Z(T_1) * (D[i, j] - sum_{a in T_0} e_a D[a, j] / Z(T_0))
    D[a, j] = rm_1[a, j] - rm_0[a, j] = max(A[a, j] - rm_0[a, j], 0)   (A[a, j]
    if V_0 is empty)

(the T_0 term is 0 if T_0 is empty; the empty-coalition rule v = 0 is what
makes V_0 = {} give D = A). rm_0, the row max over R_v with j left out, is the
row's max over R_v unless j is its only argmax, then the largest non-maximal
member. The v2t parts are the same with the roles of words and frames swapped;
delta = (t2v parts + v2t parts) / 2. Every term is a [Lt, Lv] tensor or a
(leave-one-out) weighted sum over one of its axes.
"""

import math
from typing import Optional, Tuple

import torch
from torch import Tensor

#: Largest spread (max - min) of one game's real weight logits for which
#: exp(logit - max) keeps every weight > 0, in float32 (then float64 is used)
#: and float64 (then a ValueError is raised).
_LOGIT_SPREAD = {torch.float32: 80.0, torch.float64: 700.0}


def monte_carlo_interaction(
    a: Tensor,
    m_t: Tensor,
    m_v: Tensor,
    l_t: Tensor,
    l_v: Tensor,
    num_samples: int,
    generator: Optional[torch.Generator],
    chunk_size: int,
) -> Tuple[Tensor, Tensor]:
    """Monte-Carlo I and its standard error (common random numbers across the
    pairs of a game).

    Args:
        a (Tensor): scaled pair matrices, 0 at padded positions.
        m_t (Tensor): bool, real words. m_v (Tensor): bool, real frames.
        l_t (Tensor): word weight logits. l_v (Tensor): frame weight logits.
        num_samples (int): K, the number of sampled subsets of all the players.
        generator (torch.Generator, optional): draws are made on its device,
        then moved. chunk_size (int): bound on the elements of one [games,
        samples, Lt, Lv] work tensor.

    Returns:
        tuple[Tensor, Tensor]: the mean of the K deltas and sqrt(s^2 / K) (NaN
        if K = 1), both 0 where i or j is padded.

    Shape:
        - a: [B, Lt, Lv]; m_t, l_t: [B, Lt]; m_v, l_v: [B, Lv]
        - outputs: [B, Lt, Lv]
    """
    dtype = a.dtype
    e, f = _shifted_exp(l_t, m_t), _shifted_exp(l_v, m_v)
    spread = max(_spread(l_t, m_t), _spread(l_v, m_v))
    work = dtype
    if spread > _LOGIT_SPREAD[dtype]:
        if spread > _LOGIT_SPREAD[torch.float64]:
            raise ValueError(
                'banzhaf_interaction: the weight logits of one game span '
                f'{spread:.4g} > '
                f'{_LOGIT_SPREAD[torch.float64]}, so exp(logit - max) '
                'underflows to 0 in the '
                'Monte-Carlo method; use the exact method '
                '(num_samples=None) or tamer logits'
            )
        work = torch.float64
        a = a.to(work)
        e, f = _shifted_exp(l_t.to(work), m_t), _shifted_exp(l_v.to(work), m_v)

    b, lt, lv = a.shape
    draw_device = generator.device if generator is not None else a.device
    bits = (
        torch.rand(
            num_samples, b, lt + lv, generator=generator, device=draw_device
        )
        < 0.5
    )
    bits = bits.to(a.device)
    r_t = bits[..., :lt] & m_t
    r_v = bits[..., lt:] & m_v

    mean = a.new_zeros(b, lt, lv)
    m2 = a.new_zeros(b, lt, lv)
    games = max(1, chunk_size // (lt * lv))
    for g0 in range(0, b, games):
        g1 = min(b, g0 + games)
        step = max(1, chunk_size // ((g1 - g0) * lt * lv))
        count = 0
        for k0 in range(0, num_samples, step):
            k1 = min(num_samples, k0 + step)
            delta = _deltas(
                a[g0:g1],
                e[g0:g1],
                f[g0:g1],
                r_t[k0:k1, g0:g1].transpose(0, 1),
                # g, k, Lt, Lv
                r_v[k0:k1, g0:g1].transpose(0, 1),
            )
            # Chan et al.'s pairwise update of the running mean and sum of
            # squared deviations.
            n_new = k1 - k0
            mean_new = delta.mean(1)
            m2_new = (delta - mean_new.unsqueeze(1)).square().sum(1)
            diff = mean_new - mean[g0:g1]
            total = count + n_new
            mean[g0:g1] += diff * (n_new / total)
            m2[g0:g1] += m2_new + diff.square() * (count * n_new / total)
            count = total
    pair_mask = m_t.unsqueeze(-1) & m_v.unsqueeze(-2)
    var = (
        m2 / (num_samples - 1)
        if num_samples > 1
        else torch.full_like(m2, math.nan)
    )
    stderr = torch.where(pair_mask, (var / num_samples).sqrt(), 0)
    mean = torch.where(pair_mask, mean, 0)
    return mean.to(dtype), stderr.to(dtype)


def _deltas(
    a: Tensor, e: Tensor, f: Tensor, r_t: Tensor, r_v: Tensor
) -> Tensor:
    """delta_ij(R_k - {i, j}) for every sample k and pair (i, j); see the
    module docstring.

    Summing the four values, the t2v parts collapse to (and the v2t parts
    likewise)::

        sum_{x,y} (-1)^(x+y) t2v(x, y) = e_i / Z_t1[i] * (D_r[i, j] - mean_{a
        in T_0} D_r[a, j]), D_r = rm_1 - rm_0 = max(A - rm_0, 0), or A where
        V_0 is empty,

    the mean weighted by e over T_0 = R_t - {i} (0 if T_0 is empty): D_r is how
    much word a's row max grows when frame j joins, and I(i, j) weighs word i's
    growth against its co-members'.

    Shape:
        - a: [G, Lt, Lv]; e: [G, Lt]; f: [G, Lv]; r_t: [G, K, Lt] bool; r_v:
          [G, K, Lv] bool
        - output: [G, K, Lt, Lv]
    """
    a = a.unsqueeze(1)  # G,1,Lt,Lv
    rt, rv = r_t.to(a.dtype), r_v.to(a.dtype)
    # G,K,Lt: T_0 = R_t - {i} non-empty
    keep_t0 = (rt.sum(-1, keepdim=True) - rt) > 0
    keep_v0 = (rv.sum(-1, keepdim=True) - rv) > 0  # G,K,Lv
    d_r = _gain_over_others(a, r_v, keep_v0, dim=-1)  # G,K,Lt,Lv
    d_c = _gain_over_others(a, r_t, keep_t0, dim=-2)
    out = _weighted_lead(
        d_r.transpose(-1, -2), e.unsqueeze(1), rt, keep_t0
    ).transpose(-1, -2)
    out += _weighted_lead(d_c, f.unsqueeze(1), rv, keep_v0)
    return out.mul_(0.5)


def _weighted_lead(
    d: Tensor, weights: Tensor, members: Tensor, keep0: Tensor
) -> Tensor:
    """w_p / Z(R_0 + p) * (d[..., p] - the w-weighted mean of d over R_0 = R -
    {p}), per position p.

    The sums over R - {p} are taken as the sum over R minus p's term, except
    for the member with the largest weight, for which that would cancel
    catastrophically (w_p ~ Z): its sums leave it out directly. For the others
    Z / Z(R - {p}) <= |R|, so the error stays within |R| ulps.

    Shape:
        - d: [G, K, M, L] (reduced over L); weights: [G, 1, L]; members (0/1
          float), keep0 (bool): [G, K, L]
        - output: [G, K, M, L]
    """
    w_in = members * weights  # G,K,L
    is_top = (w_in == w_in.amax(-1, keepdim=True)) & (members > 0)
    # first largest-weight member
    top = is_top & (is_top.cumsum(-1) == 1)
    # R without its top member
    w_rest = torch.where(top, 0, w_in)
    z_rest = w_rest.sum(-1, keepdim=True)
    z0 = torch.where(
        top, z_rest, z_rest + (w_in * top).sum(-1, keepdim=True) - w_in
    )
    sum_rest = torch.matmul(d, w_rest.unsqueeze(-1))  # G,K,M,1
    sum_top = torch.matmul(d, (w_in * top).unsqueeze(-1))
    # sum over R - {p} of w d: for the top member sum_rest, else sum_rest +
    # top's term - p's term.
    excluded = torch.where(
        top.unsqueeze(-2),
        sum_rest,
        sum_rest + sum_top - d * w_in.unsqueeze(-2),
    )
    inv_z0 = torch.where(keep0, 1 / torch.where(keep0, z0, 1), 0).unsqueeze(-2)
    # w_p / Z(R_0 + p)
    lead = (weights / (z0 + weights)).unsqueeze(-2)
    return (d - excluded * inv_z0) * lead


def _gain_over_others(
    a: Tensor, members: Tensor, keep0: Tensor, dim: int
) -> Tensor:
    """max(a[p] - max of a over the members other than p, 0) along dim, or a[p]
    if there are none.

    Shape:
        - a: [G, 1, Lt, Lv]; members, keep0: [G, K, Lv] (dim=-1) or [G, K, Lt]
          (dim=-2)
        - output: [G, K, Lt, Lv]
    """
    axis = -2 if dim == -1 else -1
    masked = a.masked_fill(~members.unsqueeze(axis), float('-inf'))
    # amax + comparisons instead of max(dim) with indices, whose CPU kernel
    # costs ~10 ms per call when the thread pool is contended (torch 2.13).
    # Leaving out p changes the max only if p is the unique maximum: then the
    # gain is top1 - top2 (top2: the largest non-maximal member).
    top1 = masked.amax(dim, keepdim=True)
    is_top = masked == top1
    top2 = masked.masked_fill(is_top, float('-inf')).amax(dim, keepdim=True)
    gap = torch.where(is_top.sum(dim, keepdim=True) == 1, top1 - top2, 0)
    gain = (a - top1).clamp_(min=0) + torch.where(is_top, gap, 0)
    return torch.where(keep0.unsqueeze(axis), gain, a)


def _shifted_exp(logits: Tensor, mask: Tensor) -> Tensor:
    """exp(logit - the largest real logit of its game) for real entries, 0 for
    padded ones.
    """
    top = logits.masked_fill(~mask, float('-inf')).amax(-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, 0)
    return torch.where(mask, (logits - top).exp(), 0)


def _spread(logits: Tensor, mask: Tensor) -> float:
    """Largest (max - min) of the real logits of one game over the batch (0 if
    none).
    """
    hi = logits.masked_fill(~mask, float('-inf')).amax(-1)
    lo = logits.masked_fill(~mask, float('inf')).amin(-1)
    spread = torch.where(mask.any(-1), hi - lo, 0)
    return float(spread.max()) if spread.numel() else 0.0
