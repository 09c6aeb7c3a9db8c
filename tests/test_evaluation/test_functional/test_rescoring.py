import math

import numpy as np
import pytest

from hbi.evaluation.functional import (
    dual_softmax,
    qb_norm,
    text_to_video_ranks,
)
from hbi.evaluation.functional import retrieval as retrieval_module


def reference_dual_softmax(sim, temperature):
    """Loop over videos: prior = softmax over that video's caption column."""
    out = np.zeros_like(sim, dtype=np.float64)
    for v in range(sim.shape[1]):
        weights = [math.exp(temperature * s) for s in sim[:, v]]
        total = sum(weights)
        for t in range(sim.shape[0]):
            out[t, v] = sim[t, v] * weights[t] / total
    return out


def reference_qb_norm(sim, bank_sim, k, beta):
    """Dynamic inverted softmax in exp space, as in the paper."""
    active = set()
    for row in bank_sim.tolist():
        kth = sorted(row, reverse=True)[k - 1]
        active |= {v for v, s in enumerate(row) if s >= kth}
    norm = [
        sum(math.exp(beta * bank_sim[b, v]) for b in range(len(bank_sim)))
        for v in range(sim.shape[1])
    ]
    out = np.zeros_like(sim, dtype=np.float64)
    for q, row in enumerate(sim.tolist()):
        top1 = max(range(len(row)), key=lambda v: (row[v], -v))
        for v, s in enumerate(row):
            out[q, v] = math.exp(beta * s) / (norm[v] if top1 in active else 1)
    return out


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('captions_per_video', [1, 3])
def test_dual_softmax_matches_loop(dtype, captions_per_video):
    rng = np.random.default_rng(0)
    sim = rng.uniform(-1, 1, (8 * captions_per_video, 8)).astype(dtype)
    out = dual_softmax(sim, temperature=10.0)
    assert out.dtype == dtype and out.shape == sim.shape
    np.testing.assert_allclose(
        out,
        reference_dual_softmax(sim.astype(np.float64), 10.0),
        rtol=1e-5 if dtype == np.float32 else 1e-12,
        atol=1e-7,
    )


def test_dual_softmax_large_logits_and_chunks(monkeypatch):
    rng = np.random.default_rng(1)
    sim = rng.uniform(-1, 1, (20, 6)) * 10  # T * sim up to 1000: exp overflows
    monkeypatch.setattr(retrieval_module, '_CHUNK_ELEMENTS', 18)
    out = dual_softmax(sim, temperature=100.0)
    assert np.isfinite(out).all()
    shifted = 100.0 * (sim - sim.max(axis=0))
    prior = np.exp(shifted) / np.exp(shifted).sum(axis=0)
    np.testing.assert_allclose(out, sim * prior, rtol=1e-10, atol=1e-300)


def test_dual_softmax_damps_hub_video():
    # Video 0 is a hub: every caption likes it; caption 1's true video is 1.
    sim = np.array([[0.9, 0.1], [0.8, 0.75], [0.85, 0.2]])
    gt = np.array([0, 1, 0])
    assert text_to_video_ranks(sim, gt)[1] == 1
    assert text_to_video_ranks(dual_softmax(sim, 100.0), gt)[1] == 0


@pytest.mark.parametrize('k', [1, 3])
def test_qb_norm_matches_loop(k):
    rng = np.random.default_rng(k)
    sim = rng.uniform(-1, 1, (15, 10))
    bank = rng.uniform(-1, 1, (25, 10))
    # Make gallery item 9 never a bank top-k, and query 0's top-1.
    bank[:, 9] = -1.0
    sim[0, 9] = 2.0
    ref = reference_qb_norm(sim, bank, k, 20.0)
    out = qb_norm(sim, bank, k=k, beta=20.0)
    np.testing.assert_allclose(out, np.log(ref), rtol=1e-12, atol=1e-10)
    # The dynamic part: query 0 is left unnormalised (beta * sim).
    np.testing.assert_allclose(out[0], 20.0 * sim[0])
    assert not np.allclose(out[1], 20.0 * sim[1])


def test_qb_norm_float32_chunked(monkeypatch):
    rng = np.random.default_rng(7)
    sim = rng.uniform(-1, 1, (30, 12)).astype(np.float32)
    bank = rng.uniform(-1, 1, (40, 12)).astype(np.float32)
    ref = np.log(
        reference_qb_norm(sim.astype(float), bank.astype(float), 2, 20.0)
    )
    monkeypatch.setattr(retrieval_module, '_CHUNK_ELEMENTS', 25)
    out = qb_norm(sim, bank, k=2, beta=20.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)


def test_qb_norm_demotes_hub():
    # Video 0 is a hub for the bank; query 0's true video 1 is just behind.
    bank = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.1], [0.9, 0.0, 0.3]])
    sim = np.array([[0.7, 0.65, 0.0]])
    assert text_to_video_ranks(sim, np.array([1]))[0] == 1
    assert text_to_video_ranks(qb_norm(sim, bank), np.array([1]))[0] == 0


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(k=0), '`k`'),
        (dict(k=5), '`k`'),
        (dict(k=True), '`k`'),
        (dict(beta=0.0), '`beta`'),
        (dict(beta=float('inf')), '`beta`'),
        (dict(bank_sim=np.zeros((3, 3))), 'same 4 gallery'),
        (dict(bank_sim=np.full((3, 4), np.inf)), 'bank_sim.*inf'),
    ],
)
def test_qb_norm_validation(kwargs, match):
    args = dict(sim=np.zeros((2, 4)), bank_sim=np.zeros((3, 4)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        qb_norm(**args)


@pytest.mark.parametrize(
    'sim, temperature, match',
    [
        (np.array([[0.0, np.nan]]), 100.0, 'NaN'),
        (np.array([[0.0, np.inf]]), 100.0, 'inf'),
        (np.zeros(3), 100.0, '2-D'),
        (np.zeros((2, 2)), -1.0, 'temperature'),
        (np.zeros((2, 2)), 'hot', 'temperature'),
    ],
)
def test_dual_softmax_validation(sim, temperature, match):
    with pytest.raises(ValueError, match=match):
        dual_softmax(sim, temperature)
