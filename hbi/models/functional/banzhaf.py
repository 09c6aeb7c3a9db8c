"""Banzhaf Interaction of HBI's word-frame game (docs/en/methods/hbi.md A8).

The game of one positive (text, video) pair: the players are its real words and
real frames; the value of a coalition S = (S_t, S_v) is the WTI similarity (A4)
computed with the members only::

    v(S) = 1/2 * ( sum_{i in S_t} w_t(S)[i] * max_{j in S_v} A[i, j]
                 + sum_{j in S_v} w_v(S)[j] * max_{i in S_t} A[i, j] ),

with w(S) the weight logits soft-maxed over the members only and v(S) = 0 if
S_t or S_v is empty. The Banzhaf Interaction of word i and frame j is

    I(i, j) = E_S [ v(S + {i, j}) - v(S + {i}) - v(S + {j}) + v(S) ],

S uniform over the subsets of the other players. This file holds the value
function, the exact estimator and the public entry point; the Monte-Carlo
estimator is in ``banzhaf_monte_carlo.py``.

We write our own: neither mmengine nor mmaction2 has cooperative-game code, and
the released HBI loop (one coalition, four full WTI evaluations per Python
iteration) is ~10^4 times slower.
"""

from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from .banzhaf_monte_carlo import monte_carlo_interaction

#: Largest number of players (real words + real frames of one game) that the
#: exact method accepts.
EXACT_MAX_PLAYERS = 20
#: Default bound on the number of elements of one [..., Lt, Lv]-sized work
#: tensor: 2**17 (512 KB in float32, cache-sized: measured fastest on CPU) on
#: CPU, 2**22 on accelerators.
DEFAULT_CHUNK_SIZE = {'cpu': 1 << 17, 'other': 1 << 22}


def banzhaf_value_of_coalitions(
    pair_logits: Tensor,
    text_weight_logits: Tensor,
    video_weight_logits: Tensor,
    text_members: Tensor,
    video_members: Tensor,
) -> Tensor:
    """Value v(S) of coalitions of the word-frame game (docs/en/methods/hbi.md
    A8).

    Args:
        pair_logits (Tensor): pair matrices A (already scaled) of G games.
        text_weight_logits (Tensor): word weight logits, before any softmax.
        video_weight_logits (Tensor): frame weight logits, before any softmax.
        text_members (Tensor): bool, True where word i is in coalition c (the
            leading dim may be 1 to share the coalitions between games).
        video_members (Tensor): bool, likewise for frames.

    Returns:
        Tensor: v(S) of every coalition of every game; 0 where S_t or S_v is
        empty.

    Shape:
        - pair_logits: [G, Lt, Lv]; text_weight_logits: [G, Lt];
          video_weight_logits: [G, Lv]
        - text_members: [G or 1, C, Lt]; video_members: [G or 1, C, Lv]
        - output: [G, C]
    """
    # G,1,Lt,Lv
    a = pair_logits.unsqueeze(1)
    # G,C,Lt
    row_max = a.masked_fill(~video_members.unsqueeze(-2), float('-inf')).amax(
        -1
    )
    # G,C,Lv
    col_max = a.masked_fill(~text_members.unsqueeze(-1), float('-inf')).amax(
        -2
    )
    # G,C,1
    nonempty = (text_members.any(-1) & video_members.any(-1)).unsqueeze(-1)
    w_t = _softmax_over_members(text_weight_logits, text_members)
    w_v = _softmax_over_members(video_weight_logits, video_members)
    # Non-members have weight 0 but a max that may be -inf (empty other side):
    # select, not multiply.
    t2v = torch.where(text_members & nonempty, w_t * row_max, 0).sum(-1)
    v2t = torch.where(video_members & nonempty, w_v * col_max, 0).sum(-1)
    return 0.5 * (t2v + v2t)


def banzhaf_interaction_from_values(
    values: Tensor, chunk_size: int = 1 << 17
) -> Tensor:
    """Banzhaf Interaction of every pair of players of an arbitrary game given
    by its values.

    ``I[i, j] = 2^-(n-2) * sum_T v(T) * s_i(T) * s_j(T)`` with ``s_k(T) = +1 if
    k in T else -1``: each T is S + (a subset of {i, j}) for exactly one S not
    holding i, j, and the sign is that of the term of v(T) in ``v(S+ij) -
    v(S+i) - v(S+j) + v(S)``.

    Args:
        values (Tensor): v(T) of every coalition T of n >= 2 players; bit k of
            the index T is player k's membership.
        chunk_size (int): coalitions handled at once. Defaults to 2**17.

    Returns:
        Tensor: I[i, j] for all pairs of players; the diagonal (undefined) is
        set to 0.

    Shape:
        - values: [..., 2**n]
        - output: [..., n, n]
    """
    size = values.shape[-1]
    n = size.bit_length() - 1
    if n < 2 or size != 1 << n:
        raise ValueError(
            f'banzhaf_interaction_from_values: values must have 2**n entries, '
            f'n >= 2, on its last dim, got {size}'
        )
    batch_shape = values.shape[:-1]
    flat = values.reshape(-1, size)
    out = flat.new_zeros(flat.shape[0], n, n)
    for start in range(0, size, chunk_size):
        bits = _coalition_bits(
            start, min(start + chunk_size, size), n, values.device
        )
        out += _signed_sum(flat[:, start : start + chunk_size], bits, bits)
    out /= 2.0 ** (n - 2)
    out.diagonal(dim1=-2, dim2=-1).zero_()
    return out.reshape(*batch_shape, n, n)


@torch.no_grad()
def banzhaf_interaction(
    pair_logits: Tensor,
    text_mask: Tensor,
    video_mask: Tensor,
    text_weight_logits: Tensor,
    video_weight_logits: Tensor,
    num_samples: Optional[int] = None,
    scale: float = 1.0,
    generator: Optional[torch.Generator] = None,
    *,
    chunk_size: Optional[int] = None,
    return_stderr: bool = False,
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Banzhaf Interaction I(i, j) of every word-frame pair of a batch of games
    (docs/en/methods/hbi.md A8).

    Players are the REAL words and frames (mask != 0) only; padded positions
    are no players and get
    0. The computation is vectorised over the batch, all (i, j) and the
       samples, runs on any device
    and has no gradient (the result is a training label).

    **Exact** (``num_samples=None``): all 2^n coalitions T of the n = n_t + n_v
    players are valued once, then ``I = 2^-(n-2) * sum_T v(T) s_i(T) s_j(T)``
    (see :func:`banzhaf_interaction_from_values`). That costs 2^n * n_t * n_v
    max/product operations per game, the same order as the 2^(n-2) * n^2 of
    enumerating, for every pair, the 2^(n-2) subsets of the others (n_t * n_v
    <= n^2 / 4): at the limit n = ``EXACT_MAX_PLAYERS`` = 20 that is ~10^8 per
    game (6-11 s per game measured on one core of the shared 2-core dev
    machine; 0.2-0.7 s at 16 players) and every extra player doubles it, so
    games with more than 20 players raise a ValueError: use ``num_samples``.
    Games of the batch are grouped by (n_t, n_v) so that each one costs 2^n for
    its own n.

    **Monte-Carlo** (``num_samples=K``): K subsets R_1..R_K of ALL the players
    are drawn, each player in independently with probability 1/2, shared by all
    pairs (i, j) of a game (common random numbers). For the pair (i, j), S_k =
    R_k minus {i, j} keeps every other player with probability 1/2
    independently, i.e. it is uniform over the subsets of the others, so
    ``I_hat(i, j) = 1/K * sum_k [v(S_k+ij) - v(S_k+i) - v(S_k+j) + v(S_k)]`` is
    unbiased, with variance Var_S(delta_ij)/K. Sharing R_k does not change the
    variance of one entry (nor bias it); it makes the whole matrix cost O(Lt *
    Lv) per sample instead of O(Lt^2 * Lv^2): the four coalitions of every pair
    differ from R_k by toggling i and j, so their maxima come from the top-2 of
    each row/column over R_k and their softmax sums from leave-one-out sums
    over R_k (see ``banzhaf_monte_carlo.py``). Estimates of different pairs of
    one game are correlated (they share R_k); different games get independent
    draws. ``return_stderr`` also gives the standard error sqrt(s^2 / K), s^2
    the unbiased sample variance of the K deltas.

    Args:
        pair_logits (Tensor): pair matrices A (cosine similarities of the
            tokens and frames of each positive pair), float.
        text_mask (Tensor): 1 (or True) on real words.
        video_mask (Tensor): 1 (or True) on real frames.
        text_weight_logits (Tensor): word weight logits BEFORE the softmax.
        video_weight_logits (Tensor): frame weight logits BEFORE the softmax.
        num_samples (int, optional): None for the exact value, else the number
            K of sampled coalitions. Defaults to None.
        scale (float): multiplies A before the game (the release uses 1000).
        Defaults to 1.0. generator (torch.Generator, optional): source of the
        Monte-Carlo draws; they are drawn on
            its device and moved to A's, so a CPU generator gives the same
            coalitions on every device. Defaults to None (the global generator
            of A's device).
        chunk_size (int, optional): bound on the number of elements of one work
            tensor ([games, coalitions, Lt, Lv] sized); peak extra memory is
            about 16 such tensors, plus the K * B * (Lt + Lv) random bits
            (bool; 4x that transiently) of the Monte-Carlo method. At least one
            game and one coalition are processed at once. Results do not depend
            on it (up to float rounding). Defaults to None: 2**17 on CPU (8 MB
            in float32), 2**22 elsewhere.
        return_stderr (bool): also return the Monte-Carlo standard error (zeros
        when exact).

    Returns:
        Tensor or tuple[Tensor, Tensor]: I, in A's dtype (float16/bfloat16
        inputs are computed in float32), 0 at padded positions; with
        ``return_stderr``, (I, stderr).

    Shape:
        - pair_logits: [B, Lt, Lv]; text_mask, text_weight_logits: [B, Lt];
          video_mask, video_weight_logits: [B, Lv]
        - output (and stderr): [B, Lt, Lv]
    """
    if chunk_size is None:
        chunk_size = DEFAULT_CHUNK_SIZE[
            'cpu' if pair_logits.device.type == 'cpu' else 'other'
        ]
    _check_inputs(
        pair_logits,
        text_mask,
        video_mask,
        text_weight_logits,
        video_weight_logits,
        num_samples,
        chunk_size,
    )
    out_dtype = pair_logits.dtype
    dtype = (
        out_dtype
        if out_dtype in (torch.float32, torch.float64)
        else torch.float32
    )
    m_t, m_v = text_mask != 0, video_mask != 0
    pair_mask = m_t.unsqueeze(-1) & m_v.unsqueeze(-2)
    a = torch.where(pair_mask, pair_logits.to(dtype) * scale, 0)
    l_t, l_v = text_weight_logits.to(dtype), video_weight_logits.to(dtype)

    # Move the real players of every game to the front (stable), then cut the
    # common padding.
    order_t, order_v = _real_first(m_t), _real_first(m_v)
    n_t, n_v = m_t.sum(-1), m_v.sum(-1)
    lt_max, lv_max = int(n_t.max()), int(n_v.max())
    pos_t, pos_v = order_t[:, :lt_max], order_v[:, :lv_max]
    a_c = a.gather(1, pos_t.unsqueeze(-1).expand(-1, -1, a.shape[-1]))
    a_c = a_c.gather(2, pos_v.unsqueeze(1).expand(-1, lt_max, -1))
    mt_c, mv_c = m_t.gather(1, pos_t), m_v.gather(1, pos_v)
    lt_c, lv_c = l_t.gather(1, pos_t), l_v.gather(1, pos_v)

    if num_samples is None:
        inter_c = _exact_interaction(a_c, n_t, n_v, lt_c, lv_c, chunk_size)
        stderr_c = torch.zeros_like(inter_c)
    else:
        inter_c, stderr_c = monte_carlo_interaction(
            a_c, mt_c, mv_c, lt_c, lv_c, num_samples, generator, chunk_size
        )
    batch = torch.arange(a.shape[0], device=a.device)[:, None, None]
    index = (batch, pos_t[:, :, None], pos_v[:, None, :])
    inter = a.new_zeros(a.shape).index_put_(index, inter_c).to(out_dtype)
    if not return_stderr:
        return inter
    return inter, a.new_zeros(a.shape).index_put_(index, stderr_c).to(
        out_dtype
    )


def _exact_interaction(
    a: Tensor,
    n_t: Tensor,
    n_v: Tensor,
    l_t: Tensor,
    l_v: Tensor,
    chunk_size: int,
) -> Tensor:
    """Exact I for compacted games (real players first), grouped by their (n_t,
    n_v).
    """
    players = n_t + n_v
    too_many = players > EXACT_MAX_PLAYERS
    if bool(too_many.any()):
        b = int(too_many.nonzero()[0, 0])
        raise ValueError(
            'banzhaf_interaction: the exact method is limited to '
            f'{EXACT_MAX_PLAYERS} players '
            '(real words + real frames) per game because its cost is 2^n * '
            f'n_t * n_v; game {b} '
            f'has {int(n_t[b])} words + {int(n_v[b])} frames = '
            f'{int(players[b])}. '
            f'Pass num_samples=K for the Monte-Carlo estimate.'
        )
    out = torch.zeros_like(a)
    counts = torch.stack([n_t, n_v], -1)
    for nt, nv in torch.unique(counts, dim=0).tolist():
        if nt == 0 or nv == 0:
            continue  # no word-frame pair: all zeros
        games = ((n_t == nt) & (n_v == nv)).nonzero().squeeze(-1)
        a_g = a[games, :nt, :nv]
        lt_g, lv_g = l_t[games, :nt], l_v[games, :nv]
        n, g = nt + nv, games.numel()
        step = max(1, chunk_size // (g * nt * nv))
        acc = a.new_zeros(g, nt, nv)
        for start in range(0, 1 << n, step):
            bits = _coalition_bits(
                start, min(start + step, 1 << n), n, a.device
            )
            mt, mv = bits[:, :nt], bits[:, nt:]
            values = banzhaf_value_of_coalitions(
                a_g, lt_g, lv_g, mt.unsqueeze(0), mv.unsqueeze(0)
            )
            acc += _signed_sum(values, mt, mv)
        out[games, :nt, :nv] = acc / 2.0 ** (n - 2)
    return out


def _coalition_bits(
    start: int, stop: int, n: int, device: torch.device
) -> Tensor:
    """Membership bits [stop - start, n] (bool) of the coalitions numbered
    start..stop-1.
    """
    codes = torch.arange(start, stop, device=device)
    return (codes.unsqueeze(-1) >> torch.arange(n, device=device)) & 1 == 1


def _signed_sum(values: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """sum_c values[g, c] * s_rows[c, i] * s_cols[c, j] with s = +1 for
    members, -1 otherwise.
    """
    s_rows = rows.to(values.dtype) * 2 - 1
    s_cols = cols.to(values.dtype) * 2 - 1
    return torch.matmul(s_rows.t().unsqueeze(0) * values.unsqueeze(1), s_cols)


def _softmax_over_members(logits: Tensor, members: Tensor) -> Tensor:
    """Softmax of logits [G, L] over the members [G or 1, C, L] only; 0 for
    non-members.
    """
    masked = logits.unsqueeze(1).masked_fill(~members, float('-inf'))
    return torch.where(members, torch.softmax(masked, dim=-1), 0)


def _real_first(mask: Tensor) -> Tensor:
    """Per row, the positions of the real entries (in order) followed by the
    padded ones.
    """
    return torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)


def _check_inputs(
    pair_logits: Tensor,
    text_mask: Tensor,
    video_mask: Tensor,
    text_weight_logits: Tensor,
    video_weight_logits: Tensor,
    num_samples: Optional[int],
    chunk_size: int,
) -> None:
    """Raise a ValueError naming the argument of banzhaf_interaction that is
    malformed.
    """
    name = 'banzhaf_interaction'
    if pair_logits.dim() != 3 or not pair_logits.is_floating_point():
        raise ValueError(
            f'{name}: pair_logits must be a float [B, Lt, Lv] tensor, got '
            f'{pair_logits.dtype} of shape {tuple(pair_logits.shape)}'
        )
    b, lt, lv = pair_logits.shape
    expected = dict(
        text_mask=(b, lt),
        video_mask=(b, lv),
        text_weight_logits=(b, lt),
        video_weight_logits=(b, lv),
    )
    given = dict(
        text_mask=text_mask,
        video_mask=video_mask,
        text_weight_logits=text_weight_logits,
        video_weight_logits=video_weight_logits,
    )
    for key, shape in expected.items():
        if tuple(given[key].shape) != shape:
            raise ValueError(
                f'{name}: {key} must have shape {shape} to match pair_logits '
                f'{tuple(pair_logits.shape)}, got {tuple(given[key].shape)}'
            )
        if given[key].device != pair_logits.device:
            raise ValueError(
                f'{name}: {key} is on {given[key].device}, pair_logits on '
                f'{pair_logits.device}'
            )
    bad_count = (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, int)
        or num_samples < 1
    )
    if num_samples is not None and bad_count:
        raise ValueError(
            f'{name}: num_samples must be None (exact) or a positive int, '
            f'got {num_samples!r}'
        )
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(
            f'{name}: chunk_size must be a positive int, got {chunk_size!r}'
        )
