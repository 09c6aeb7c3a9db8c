"""Tests of hbi.models.functional.banzhaf (the Banzhaf Interaction game of
docs/en/methods/hbi.md A8).
"""

import itertools
import math

import pytest
import torch

from hbi.models import banzhaf_interaction
from hbi.models.functional import (
    EXACT_MAX_PLAYERS,
    banzhaf_interaction_from_values,
    banzhaf_value_of_coalitions,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Run single-threaded: on the shared 2-core machine, intra-op threads of
    the ~10^5-element work tensors wait on each other and make these tests ~5x
    slower (CPU time included)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def brute_value(a, w_t, w_v, words, frames):
    """v(S) of A8 with plain Python: softmax over the members, max over the
    other side's members.
    """
    if not words or not frames:
        return 0.0
    zt = sum(math.exp(w_t[i]) for i in words)
    zv = sum(math.exp(w_v[j]) for j in frames)
    t2v = sum(
        math.exp(w_t[i]) / zt * max(a[i][j] for j in frames) for i in words
    )
    v2t = sum(
        math.exp(w_v[j]) / zv * max(a[i][j] for i in words) for j in frames
    )
    return 0.5 * (t2v + v2t)


def brute_interaction(a, m_t, m_v, l_t, l_v):
    """I(i, j) straight from the definition: average over the subsets S of the
    other players.
    """
    out = torch.zeros(a.shape, dtype=torch.float64)
    for b in range(a.shape[0]):
        ab, wt, wv = a[b].tolist(), l_t[b].tolist(), l_v[b].tolist()
        words = [i for i in range(a.shape[1]) if m_t[b, i]]
        frames = [j for j in range(a.shape[2]) if m_v[b, j]]
        for i, j in itertools.product(words, frames):
            others = [('t', k) for k in words if k != i] + [
                ('v', k) for k in frames if k != j
            ]
            total = 0.0
            for r in range(len(others) + 1):
                for s in itertools.combinations(others, r):
                    st = [k for side, k in s if side == 't']
                    sv = [k for side, k in s if side == 'v']
                    total += (
                        brute_value(ab, wt, wv, st + [i], sv + [j])
                        - brute_value(ab, wt, wv, st + [i], sv)
                        - brute_value(ab, wt, wv, st, sv + [j])
                        + brute_value(ab, wt, wv, st, sv)
                    )
            out[b, i, j] = total / 2 ** len(others)
    return out


def random_game(seed, b=4, lt=5, lv=4, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(b, lt, lv, generator=g, dtype=dtype) * 2 - 1
    m_t = torch.rand(b, lt, generator=g) < 0.7
    m_v = torch.rand(b, lv, generator=g) < 0.7
    m_t[:, 1], m_v[:, 0] = True, True  # at least one word-frame pair per game
    l_t = torch.randn(b, lt, generator=g, dtype=dtype) * 2
    l_v = torch.randn(b, lv, generator=g, dtype=dtype) * 2
    return a, m_t, m_v, l_t, l_v


# A 2-word x 2-frame game; words have equal logits (weights 1/2, 1/2), frames
# (ln 3, 0): (3/4, 1/4).
HAND_A = torch.tensor([[[0.9, 0.2], [0.4, 0.6]]], dtype=torch.float64)
HAND_LT = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
HAND_LV = torch.tensor([[math.log(3.0), 0.0]], dtype=torch.float64)
ONES = torch.ones(1, 2)


def test_two_by_two_by_hand():
    # I(w0, f0): the others are {w1, f1}, so S in {}, {w1}, {f1}, {w1, f1}.
    # S = {}:       v(w0 f0) - v(w0) - v(f0) + v() = 0.9 - 0 - 0 + 0  -> 0.9
    # S = {w1}:     v(w0 w1 f0) = (.5*.9 + .5*.4 + max(.9, .4)) / 2 = 0.775,
    #               v(w1 f0) = 0.4, v(w0 w1) = v(w1) = 0
    #                                              -> 0.775 - 0.4 = 0.375
    # S = {f1}:     v(w0 f0 f1) = (max(.9, .2) + .75*.9 + .25*.2) / 2
    #                 = 0.8125, v(w0 f1) = 0.2, v(f0 f1) = v(f1) = 0
    #                                              -> 0.8125 - 0.2 = 0.6125
    # S = {w1, f1}: v(all) = ((.5*.9 + .5*.6) + (.75*.9 + .25*.6)) / 2
    #                 = 0.7875,
    #               v(w0 w1 f1) = (.5*.2 + .5*.6 + .6) / 2 = 0.5,
    #               v(w1 f0 f1) = (.6 + .75*.4 + .25*.6) / 2 = 0.525,
    #               v(w1 f1) = 0.6
    #                            -> 0.7875 - 0.5 - 0.525 + 0.6 = 0.3625
    # I(w0, f0) = (0.9 + 0.375 + 0.6125 + 0.3625) / 4 = 0.5625
    members_t = torch.tensor(
        [[[True, True], [True, True], [True, False], [False, True]]]
    )
    members_v = torch.tensor(
        [[[True, True], [False, True], [True, True], [True, True]]]
    )
    values = banzhaf_value_of_coalitions(
        HAND_A, HAND_LT, HAND_LV, members_t, members_v
    )
    torch.testing.assert_close(
        values,
        torch.tensor([[0.7875, 0.5, 0.8125, 0.525]], dtype=torch.float64),
    )
    inter = banzhaf_interaction(HAND_A, ONES, ONES, HAND_LT, HAND_LV)
    assert inter[0, 0, 0].item() == pytest.approx(0.5625, abs=1e-12)
    torch.testing.assert_close(
        inter, brute_interaction(HAND_A, ONES, ONES, HAND_LT, HAND_LV)
    )


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_exact_matches_brute_force(seed):
    a, m_t, m_v, l_t, l_v = random_game(seed)
    expected = brute_interaction(a, m_t, m_v, l_t, l_v)
    got = banzhaf_interaction(
        a, m_t.long(), m_v.float(), l_t, l_v, chunk_size=7
    )
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
    assert (got[~(m_t.unsqueeze(-1) & m_v.unsqueeze(-2))] == 0).all()


def test_padded_entries_are_no_players():
    a, m_t, m_v, l_t, l_v = random_game(3)
    pad = ~(m_t.unsqueeze(-1) & m_v.unsqueeze(-2))
    dirty_a = a.masked_fill(pad, float('nan'))
    dirty_lt = l_t.masked_fill(~m_t, 50.0)
    for num_samples in (None, 30):
        clean = banzhaf_interaction(
            a,
            m_t,
            m_v,
            l_t,
            l_v,
            num_samples,
            generator=torch.Generator().manual_seed(0),
        )
        dirty = banzhaf_interaction(
            dirty_a,
            m_t,
            m_v,
            dirty_lt,
            l_v,
            num_samples,
            generator=torch.Generator().manual_seed(0),
        )
        torch.testing.assert_close(dirty, clean, rtol=0, atol=1e-12)


def test_symmetric_players_get_equal_values():
    a, m_t, m_v, l_t, l_v = random_game(4, b=2, lt=4, lv=4)
    m_t[:], m_v[:] = True, True
    # words 0 and 1 are interchangeable
    a[:, 1], l_t[:, 1] = a[:, 0], l_t[:, 0]
    a[:, :, 3], l_v[:, 3] = a[:, :, 2], l_v[:, 2]  # frames 2 and 3 too
    inter = banzhaf_interaction(a, m_t, m_v, l_t, l_v)
    torch.testing.assert_close(inter[:, 0], inter[:, 1], rtol=0, atol=1e-12)
    torch.testing.assert_close(
        inter[:, :, 2], inter[:, :, 3], rtol=0, atol=1e-12
    )
    # non-symmetric ones differ
    assert (inter[:, 0] - inter[:, 2]).abs().max() > 1e-3


def test_null_player_has_zero_interaction():
    # Word 2: A row 0 (alone with frames it is worth 0), other entries > 0 (it
    # never raises a column max) and a logit so low that its softmax weight is
    # exactly 0 next to any other word.
    a, m_t, m_v, l_t, l_v = random_game(5, b=2, lt=4, lv=3)
    m_t[:], m_v[:] = True, True
    a = a.abs() + 0.1
    a[:, 2], l_t[:, 2] = 0.0, -1e4
    inter = banzhaf_interaction(a, m_t, m_v, l_t, l_v)
    torch.testing.assert_close(
        inter[:, 2], torch.zeros_like(inter[:, 2]), rtol=0, atol=1e-12
    )
    assert inter[:, [0, 1, 3]].abs().min() > 1e-4
    # The same property for an arbitrary game given by its values: player 1 is
    # null.
    values = torch.randn(3, 2**5, dtype=torch.float64)
    with_1 = torch.tensor([(t >> 1) & 1 == 1 for t in range(2**5)])
    values[:, with_1] = values[:, ~with_1]
    from_values = banzhaf_interaction_from_values(values)
    assert (
        from_values[:, 1].abs().max() < 1e-12
        and from_values[:, :, 1].abs().max() < 1e-12
    )
    assert from_values[:, 0, 2:].abs().min() > 1e-6


def test_from_values_definition_and_linearity():
    # Linearity: interactions of v1 + c v2 = I(v1) + c I(v2) for arbitrary
    # value tensors.
    g = torch.Generator().manual_seed(6)
    n = 5
    v1, v2 = torch.randn(2, 2, 2**n, generator=g, dtype=torch.float64)
    i1, i2 = (
        banzhaf_interaction_from_values(v1),
        banzhaf_interaction_from_values(v2),
    )
    torch.testing.assert_close(
        banzhaf_interaction_from_values(v1 - 3 * v2, chunk_size=5),
        i1 - 3 * i2,
        rtol=0,
        atol=1e-12,
    )
    # banzhaf_interaction_from_values is the definition: brute force on the
    # pairs (0, 3), (2, 4).
    for i, j in ((0, 3), (2, 4)):
        others = [k for k in range(n) if k not in (i, j)]
        total = 0.0
        for r in range(len(others) + 1):
            for s in itertools.combinations(others, r):
                code = sum(1 << k for k in s)
                total += (
                    v1[0, code | 1 << i | 1 << j]
                    - v1[0, code | 1 << i]
                    - v1[0, code | 1 << j]
                    + v1[0, code]
                ).item()
        assert i1[0, i, j].item() == pytest.approx(
            total / 2 ** (n - 2), abs=1e-12
        )
    # The game's exact I is this linear map applied to the game's values (bit
    # k: word k for k < 3, frame k - 3), so it inherits linearity in v.
    a, m_t, m_v, l_t, l_v = random_game(7, b=1, lt=3, lv=2)
    m_t[:], m_v[:] = True, True
    values = torch.tensor(
        [
            [
                brute_value(
                    a[0].tolist(),
                    l_t[0].tolist(),
                    l_v[0].tolist(),
                    [k for k in range(3) if t >> k & 1],
                    [k for k in range(2) if t >> (k + 3) & 1],
                )
                for t in range(2**5)
            ]
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(
        banzhaf_interaction(a, m_t, m_v, l_t, l_v)[0],
        banzhaf_interaction_from_values(values)[0, :3, 3:],
        rtol=0,
        atol=1e-12,
    )


def replicated_game(copies):
    """One 3-word x 3-frame game (plus a padded word) repeated: each copy gets
    its own draws.
    """
    a, m_t, m_v, l_t, l_v = random_game(8, b=1, lt=4, lv=3)
    m_t[:], m_v[:] = True, True
    m_t[0, 2] = False
    exact = banzhaf_interaction(a, m_t, m_v, l_t, l_v)
    reps = [x.expand(copies, *x.shape[1:]) for x in (a, m_t, m_v, l_t, l_v)]
    return (
        reps,
        exact.expand(copies, -1, -1),
        m_t.unsqueeze(-1) & m_v.unsqueeze(-2),
    )


def test_monte_carlo_error_shrinks_like_one_over_sqrt_samples():
    # The estimate is a mean of K i.i.d. deltas, so its MSE is sigma^2 / K: the
    # RMS error at 4K is half that at K. Each MSE pools 512 independent copies;
    # even if the 9 entries of a copy were fully correlated, its relative sd is
    # sqrt(2 / 512) = 0.0625 (normal errors), the RMS's half that, and the
    # ratio's sd is <= 0.5 * sqrt(2) * 0.031 = 0.022: the band [0.4, 0.6] is
    # +-4.5 sd.
    inputs, exact, pair_mask = replicated_game(512)
    rms = []
    for seed, k in ((10, 100), (11, 400)):
        est = banzhaf_interaction(
            *inputs,
            num_samples=k,
            generator=torch.Generator().manual_seed(seed),
        )
        rms.append(
            (est - exact)[:, pair_mask[0]].square().mean().sqrt().item()
        )
    assert 0.4 < rms[1] / rms[0] < 0.6, rms


def test_monte_carlo_error_within_k_standard_errors():
    # One game, K = 10^4: z = (I_hat - I) / stderr is ~N(0, 1). The deltas are
    # skewed (skewness -3.1 for (word 0, frame 2): S = {} gives one large delta
    # with probability 1/16), and a studentised mean of skewed data has heavier
    # tails (at K = 400 its skewness is 0.7), but at K = 10^4 the skewness of z
    # is <= 0.35 (measured over 1024 copies: 0.25% beyond 3 sd, none beyond 4).
    # k = 4.5: P(|z| > 4.5) = 7e-6 per entry for a normal, < 1e-4 over the 9
    # entries.
    (a, m_t, m_v, l_t, l_v), exact, pair_mask = replicated_game(1)
    est, stderr = banzhaf_interaction(
        a,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples=10_000,
        return_stderr=True,
        generator=torch.Generator().manual_seed(12),
    )
    assert (stderr[pair_mask] > 0).all() and (stderr[~pair_mask] == 0).all()
    assert ((est - exact).abs() <= 4.5 * stderr).all()
    # The stderr is calibrated: over 512 copies with K = 400 the RMS of z is ~1
    # (t-statistics with 399 dof: 1.0025). Over 20 seeds it was 1.0075 +- 0.014
    # (sd), so [0.94, 1.07] is > 4.5 sd from the mean on both sides, and a
    # stderr 7% too large or too small fails.
    inputs, exact, pair_mask = replicated_game(512)
    est, stderr = banzhaf_interaction(
        *inputs,
        num_samples=400,
        return_stderr=True,
        generator=torch.Generator().manual_seed(13),
    )
    z = ((est - exact) / stderr)[:, pair_mask[0]]
    assert 0.94 < z.square().mean().sqrt() < 1.07


def test_monte_carlo_is_reproducible_and_chunk_independent():
    a, m_t, m_v, l_t, l_v = random_game(9, b=3, lt=6, lv=5)
    runs = [
        banzhaf_interaction(
            a,
            m_t,
            m_v,
            l_t,
            l_v,
            num_samples=50,
            chunk_size=c,
            generator=torch.Generator().manual_seed(3),
        )
        for c in (1, 77, 10**6)
    ]
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=1e-12)
    torch.testing.assert_close(runs[0], runs[2], rtol=0, atol=1e-12)
    other = banzhaf_interaction(
        a,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples=50,
        generator=torch.Generator().manual_seed(4),
    )
    assert (other - runs[0]).abs().max() > 1e-6


def test_exact_refuses_too_many_players():
    n_t = EXACT_MAX_PLAYERS // 2 + 1
    n_v = EXACT_MAX_PLAYERS + 1 - n_t
    a, m_t, m_v, l_t, l_v = random_game(10, b=2, lt=n_t + 3, lv=n_v + 2)
    m_t[:], m_v[:] = True, True
    m_t[0, n_t:], m_v[0, n_v:] = False, False
    m_t[1, :], m_v[1, :] = False, False
    m_t[1, 0], m_v[1, 0] = True, True
    with pytest.raises(
        ValueError, match=f'limited to {EXACT_MAX_PLAYERS} players.*game 0'
    ):
        banzhaf_interaction(a, m_t, m_v, l_t, l_v)
    # Padded positions are no players: 6 real of 26 positions is fine.
    m_t[0, 3:], m_v[0, 3:] = False, False
    assert banzhaf_interaction(a, m_t, m_v, l_t, l_v).shape == a.shape


def test_bad_inputs_name_the_argument():
    a, m_t, m_v, l_t, l_v = random_game(11)
    with pytest.raises(ValueError, match='video_mask'):
        banzhaf_interaction(a, m_t, m_v[:, :2], l_t, l_v)
    with pytest.raises(ValueError, match='num_samples'):
        banzhaf_interaction(a, m_t, m_v, l_t, l_v, num_samples=0)
    with pytest.raises(ValueError, match='pair_logits'):
        banzhaf_interaction(a[0], m_t, m_v, l_t, l_v)


@pytest.mark.parametrize('num_samples', [None, 40])
def test_scale_equals_scaling_the_pair_matrix(num_samples):
    a, m_t, m_v, l_t, l_v = random_game(12)
    scaled = banzhaf_interaction(
        a,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples,
        scale=1000.0,
        generator=torch.Generator().manual_seed(0),
    )
    direct = banzhaf_interaction(
        a * 1000,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples,
        generator=torch.Generator().manual_seed(0),
    )
    torch.testing.assert_close(scaled, direct, rtol=1e-10, atol=1e-9)
    assert scaled.abs().max() > 10


@pytest.mark.parametrize(
    'dtype', [torch.float32, torch.float64, torch.bfloat16]
)
@pytest.mark.parametrize('num_samples', [None, 200])
def test_device_and_dtype(dtype, num_samples):
    a, m_t, m_v, l_t, l_v = random_game(13)
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    reference = banzhaf_interaction(
        a,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples,
        generator=torch.Generator().manual_seed(1),
    )
    for device in devices:
        args = [
            x.to(device)
            for x in (a.to(dtype), m_t, m_v, l_t.to(dtype), l_v.to(dtype))
        ]
        out = banzhaf_interaction(
            *args, num_samples, generator=torch.Generator().manual_seed(1)
        )
        assert out.dtype == dtype and out.device.type == device
        tol = {
            torch.float32: 1e-5,
            torch.float64: 1e-12,
            torch.bfloat16: 5e-2,
        }[dtype]
        torch.testing.assert_close(
            out.double().cpu(), reference, rtol=0, atol=tol
        )


def test_monte_carlo_wide_logits_use_float64_or_refuse():
    # exp(logit - max) underflows in float32 past a spread of ~87: computed in
    # float64 instead.
    a, m_t, m_v, l_t, l_v = random_game(14)
    l_t[:, 1] = -100.0
    out = banzhaf_interaction(
        a.float(),
        m_t,
        m_v,
        l_t.float(),
        l_v.float(),
        num_samples=30,
        generator=torch.Generator().manual_seed(0),
    )
    ref = banzhaf_interaction(
        a,
        m_t,
        m_v,
        l_t,
        l_v,
        num_samples=30,
        generator=torch.Generator().manual_seed(0),
    )
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-5)
    l_t[:, 1] = -1000.0
    with pytest.raises(ValueError, match='span'):
        banzhaf_interaction(a, m_t, m_v, l_t, l_v, num_samples=30)
