"""Inference-time re-scoring of a text-video similarity matrix.

Both re-scorers are off by default in :class:`hbi.evaluation.RetrievalMetric`
and are reported under their own key prefix, because they use information
from other queries (the whole test set, or a query bank) that a one-query
deployment does not have.

Written here in numpy because neither mmengine nor mmaction ships them; the
reference implementations (CAMoE, ``ioanacroi/qb-norm``) materialise several
full ``exp`` copies of the matrix, whereas these work in row chunks with a
log-sum-exp so that ``beta * sim`` or ``temperature * sim`` cannot overflow.
"""

import math
from typing import Optional, Tuple

import numpy as np

from .retrieval import check_similarity, iter_row_chunks

__all__ = ['dual_softmax', 'qb_norm']


def _check_positive(value: float, name: str) -> float:
    """Return ``float(value)`` or raise unless it is finite and > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f'`{name}` must be a finite number > 0, got {value!r}'
        )
    return float(value)


def _output_dtype(sim: np.ndarray) -> np.dtype:
    """float32 stays float32 (a 60k x 3k matrix is 720 MB); else float64."""
    return np.result_type(sim.dtype, np.float32)


def _column_logsumexp(
    sim: np.ndarray, scale: float, exp_out: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """``log(sum_i exp(scale * sim[i, j]))`` per column, in row chunks.

    Args:
        sim (np.ndarray): Finite real matrix.
        scale (float): Factor applied to ``sim`` before the exponential.
        exp_out (np.ndarray, optional): If given, receives
            ``exp(scale * sim - shift)`` so that a caller needing the
            exponentials does not compute them twice.

    Returns:
        tuple[np.ndarray, np.ndarray]: float64 column log-sum-exp and the
        per-column ``shift`` (``scale`` times the column max) used for
        ``exp_out``.

    Shape:
        - sim: :math:`(N, M)`.
        - exp_out: :math:`(N, M)`.
        - output: :math:`(M,)` each.
    """
    col_max = np.full(sim.shape[1], -np.inf)
    for rows in iter_row_chunks(*sim.shape):
        np.maximum(col_max, sim[rows].max(axis=0), out=col_max)
    shift = (col_max * scale).astype(_output_dtype(sim))
    total = np.zeros(sim.shape[1])
    for rows in iter_row_chunks(*sim.shape):
        exps = np.exp(
            scale * sim[rows] - shift,
            out=None if exp_out is None else exp_out[rows],
        )
        total += exps.sum(axis=0, dtype=np.float64)
    return shift.astype(np.float64) + np.log(total), shift


def dual_softmax(sim: np.ndarray, temperature: float = 100.0) -> np.ndarray:
    """Dual-softmax (DSL) re-scoring: multiply by a per-video prior.

    Formula used (CAMoE's dual softmax, Cheng et al. 2021, applied at
    inference, with ``sim`` laid out ``[text, video]``)::

        out[t, v] = sim[t, v] * softmax_t(temperature * sim[:, v])[t]
                  = sim[t, v] * exp(T sim[t, v]) / sum_t' exp(T sim[t', v])

    The softmax runs over the TEXT axis: for each video it is a distribution
    over all captions, so a "hub" video that scores high with every caption
    is damped. Nothing assumes one caption per video: with several captions
    the prior is simply spread over more rows. ``temperature`` multiplies
    the logits (it is an inverse temperature, 100 = CLIP's logit scale).

    Common variants: here the same re-scored matrix serves both directions;
    some code bases instead re-score video-to-text with a softmax over the
    VIDEO axis (``sim * softmax(T sim, dim=1)``), multiply the two softmaxes
    without ``sim`` (the training-time "dual softmax loss"), use ``sim / T``
    with a small ``T`` (same thing, ``T -> 1 / T``), or apply it to
    text-to-video only. Only the dim-0 form is offered, the one behind the
    published "+DSL" text-to-video numbers.

    Args:
        sim (np.ndarray): Text-to-video similarities, finite.
        temperature (float): Logit multiplier ``T`` > 0. Defaults to 100.

    Returns:
        np.ndarray: Re-scored matrix, float32 for float32 input, else
        float64.

    Shape:
        - sim: :math:`(N_t, N_v)`.
        - output: :math:`(N_t, N_v)`.
    """
    check_similarity(sim, 'sim', allow_inf=False)
    temperature = _check_positive(temperature, 'temperature')
    out = np.empty(sim.shape, dtype=_output_dtype(sim))
    # ``out`` first holds exp(T sim - shift); one exp pass over the matrix
    # (the dominant cost), in the output dtype with a float64 normaliser.
    log_norm, shift = _column_logsumexp(sim, temperature, exp_out=out)
    factor = np.exp(shift - log_norm).astype(out.dtype)
    for rows in iter_row_chunks(*sim.shape):
        chunk = out[rows]
        chunk *= factor
        chunk *= sim[rows]
    return out


def qb_norm(
    sim: np.ndarray, bank_sim: np.ndarray, k: int = 1, beta: float = 20.0
) -> np.ndarray:
    """Querybank normalisation with the dynamic inverted softmax.

    Bogolin et al., "Cross Modal Retrieval with Querybank Normalisation",
    CVPR 2022. With ``B`` a bank of queries (e.g. training captions) scored
    against the same gallery:

    1. Activation set ``A = {v : v in top-k of some bank query b}``, where
       ``v`` is in the top-k of ``b`` if ``bank_sim[b, v]`` is at least the
       k-th largest value of that row (ties at the cut-off are included).
    2. Inverted softmax normaliser per gallery item:
       ``Z[v] = sum_b exp(beta * bank_sim[b, v])``.
    3. Dynamic part, per query ``q``: if ``q``'s top-1 gallery item
       ``argmax_v sim[q, v]`` (lowest index among ties) is in ``A``, the
       whole row is normalised, ``exp(beta sim[q, v]) / Z[v]``; otherwise the
       row is left unnormalised, ``exp(beta sim[q, v])``. This is the paper's
       Eq. and the authors' ``dynamic_inverted_softmax.py``: the decision is
       made per query so that every row stays on one scale; normalising only
       some gallery columns within a row would compare ``exp(.)/Z`` with
       ``exp(.)`` and scramble the ranking.

    The function returns the natural LOG of those scores,
    ``beta * sim[q, v] - log Z[v]`` or ``beta * sim[q, v]``: an elementwise
    monotone map of the reference output, so every ranking is identical, and
    it cannot overflow for large ``beta * sim``.

    QB-Norm normalises the gallery of the bank's queries, so with a bank of
    captions only the text-to-video direction is meaningful.

    Args:
        sim (np.ndarray): Query-to-gallery (text-to-video) similarities,
            finite.
        bank_sim (np.ndarray): Bank-to-gallery similarities, same gallery.
        k (int): Top-k that defines the activation set, ``1 <= k <= Nv``.
            Defaults to 1 (the paper's default).
        beta (float): Inverse temperature > 0. Defaults to 20.

    Returns:
        np.ndarray: Log re-scored matrix, float32 for float32 input, else
        float64.

    Shape:
        - sim: :math:`(N_t, N_v)`.
        - bank_sim: :math:`(N_b, N_v)`.
        - output: :math:`(N_t, N_v)`.
    """
    check_similarity(sim, 'sim', allow_inf=False)
    check_similarity(bank_sim, 'bank_sim', allow_inf=False)
    num_videos = sim.shape[1]
    if bank_sim.shape[1] != num_videos:
        raise ValueError(
            f'`bank_sim` must score the same {num_videos} '
            f'gallery items as `sim`, got shape {bank_sim.shape}'
        )
    if (
        isinstance(k, bool)
        or not isinstance(k, (int, np.integer))
        or not 1 <= k <= num_videos
    ):
        raise ValueError(f'`k` must be an int in [1, {num_videos}], got {k!r}')
    beta = _check_positive(beta, 'beta')
    out_dtype = _output_dtype(sim)

    active = np.zeros(num_videos, dtype=bool)
    for rows in iter_row_chunks(*bank_sim.shape):
        chunk = bank_sim[rows]
        kth = np.partition(chunk, num_videos - k, axis=1)[:, num_videos - k]
        active |= (chunk >= kth[:, None]).any(axis=0)
    log_norm = _column_logsumexp(bank_sim, beta)[0].astype(out_dtype)

    out = np.empty(sim.shape, dtype=out_dtype)
    for rows in iter_row_chunks(*sim.shape):
        chunk = out[rows]
        normalise = active[sim[rows].argmax(axis=1)]
        np.multiply(sim[rows], beta, out=chunk)
        chunk[normalise] -= log_norm
    return out
