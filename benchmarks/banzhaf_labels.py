"""Benchmark of the Banzhaf Interaction labels (docs/en/methods/hbi.md A8): a
per-evaluation loop vs hbi's.

(a) ``loop``: the way the released HBI code computes them: for each pair, each
    word i, each frame j and each sample, draw a coalition and evaluate the
    four values v(S+ij), v(S+i), v(S+j), v(S) with the WTI formula (A4) on the
    coalition by masking, one small PyTorch evaluation at a time. (Unlike the
    release, the maxima run over the members only, as A8 defines them, and v =
    0 for an empty side, so both methods estimate the same quantity; the cost
    is the same.)
(b) ``hbi``: :func:`hbi.models.banzhaf_interaction`, vectorised over pairs, (i,
j) and samples.

An evaluation is one (pair, i, j, sample). The loop runs for
``--loop-seconds`` on the first pair(s) and its rate is extrapolated per
evaluation. Usage::

    python benchmarks/banzhaf_labels.py [--device cuda] [--threads 1]
    [--loop-seconds 20]
"""

import argparse
import time
from typing import Callable, Tuple

import torch
from torch import Tensor

from hbi.models import banzhaf_interaction
from hbi.models.functional import EXACT_MAX_PLAYERS


def wti_value(
    a: Tensor, m_t: Tensor, m_v: Tensor, l_t: Tensor, l_v: Tensor
) -> Tensor:
    """v(S) of one pair with S given as masks [Lt], [Lv] (A4 on the members,
    A8's empty rule).
    """
    if not bool(m_t.any()) or not bool(m_v.any()):
        return a.new_zeros(())
    w_t = torch.softmax(l_t.masked_fill(~m_t, -9e15), dim=-1)
    w_v = torch.softmax(l_v.masked_fill(~m_v, -9e15), dim=-1)
    masked = a.masked_fill(
        ~(m_t.unsqueeze(-1) & m_v.unsqueeze(-2)), float('-inf')
    )
    t2v = torch.where(m_t, masked.max(dim=-1).values, 0)
    v2t = torch.where(m_v, masked.max(dim=-2).values, 0)
    return ((t2v * w_t).sum() + (v2t * w_v).sum()) / 2.0


def loop_interaction(
    a: Tensor,
    m_t: Tensor,
    m_v: Tensor,
    l_t: Tensor,
    l_v: Tensor,
    num_samples: int,
    seconds: float,
) -> Tuple[Tensor, int, float]:
    """Released-style loop; stops after ``seconds``. Returns (estimates,
    evaluations, time).
    """
    out = torch.zeros_like(a)
    evaluations, start = 0, time.perf_counter()
    for b in range(a.shape[0]):
        for i in range(a.shape[1]):
            for j in range(a.shape[2]):
                if not (m_t[b, i] and m_v[b, j]):
                    continue
                total = a.new_zeros(())
                for _ in range(num_samples):
                    s_t = (
                        torch.rand(a.shape[1], device=a.device) > 0.5
                    ) & m_t[b]
                    s_v = (
                        torch.rand(a.shape[2], device=a.device) > 0.5
                    ) & m_v[b]
                    s_t[i], s_v[j] = False, False
                    with_i, with_j = s_t.clone(), s_v.clone()
                    with_i[i], with_j[j] = True, True
                    total += (
                        wti_value(a[b], with_i, with_j, l_t[b], l_v[b])
                        - wti_value(a[b], with_i, s_v, l_t[b], l_v[b])
                        - wti_value(a[b], s_t, with_j, l_t[b], l_v[b])
                        + wti_value(a[b], s_t, s_v, l_t[b], l_v[b])
                    )
                    evaluations += 1
                out[b, i, j] = total / num_samples
                if time.perf_counter() - start > seconds:
                    return out, evaluations, time.perf_counter() - start
    return out, evaluations, time.perf_counter() - start


def make_inputs(
    batch: int, words: int, frames: int, device: str, scale: float = 1000.0
):
    """Random pair matrices (cosine-like values in [-0.2, 0.6]) and weight
    logits, all real.
    """
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(batch, words, frames, generator=g) * 0.8 - 0.2) * scale
    l_t = torch.randn(batch, words, generator=g)
    l_v = torch.randn(batch, frames, generator=g)
    m_t = torch.ones(batch, words, dtype=torch.bool)
    m_v = torch.ones(batch, frames, dtype=torch.bool)
    return [x.to(device) for x in (a, m_t, m_v, l_t, l_v)]


def timed(fn: Callable[[], object], device: str, repeats: int = 1) -> float:
    """Best wall time of ``repeats`` calls (after one warm-up call when repeats
    > 1).
    """
    if repeats > 1:
        fn()
    best = float('inf')
    for _ in range(repeats):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def hbi_rate(
    batch: int, words: int, frames: int, samples: int, device: str
) -> Tuple[float, float]:
    """(seconds, evaluations per second) of banzhaf_interaction's Monte-Carlo
    method.
    """
    inputs = make_inputs(batch, words, frames, device)
    gen = torch.Generator(device).manual_seed(0)
    seconds = timed(
        lambda: banzhaf_interaction(
            *inputs, num_samples=samples, generator=gen
        ),
        device,
        repeats=2,
    )
    return seconds, batch * words * frames * samples / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:k]')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads (0: leave the default). Default 1: on a '
        'shared 2-core machine multi-threaded small ops are much slower',
    )
    parser.add_argument('--words', type=int, default=32)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--samples', type=int, default=100)
    parser.add_argument('--batch', type=int, default=128, help='pairs for hbi')
    parser.add_argument(
        '--loop-pairs', type=int, default=1, help='pairs for the loop'
    )
    parser.add_argument(
        '--loop-seconds',
        type=float,
        default=20.0,
        help='the loop stops after this long; its rate is per evaluation',
    )
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dev = args.device
    print(
        f'device={dev} torch={torch.__version__} '
        f'threads={torch.get_num_threads()}'
    )

    # Sanity: the loop and hbi estimate the same I (3x3 game, exact reference).
    small = make_inputs(1, 3, 3, dev, scale=1.0)
    exact = banzhaf_interaction(*small)
    loop_est, _, _ = loop_interaction(*small, num_samples=400, seconds=1e9)
    hbi_est, stderr = banzhaf_interaction(
        *small,
        num_samples=400,
        return_stderr=True,
        generator=torch.Generator(dev).manual_seed(0),
    )
    z_loop = float(((loop_est - exact) / stderr).abs().max())
    z_hbi = float(((hbi_est - exact) / stderr).abs().max())
    print(
        'sanity, 3x3 game, 400 samples: max |estimate - exact| / stderr: '
        f'loop {z_loop:.2f}, '
        f'hbi {z_hbi:.2f} (both should be below ~3.5)'
    )

    w, f, k = args.words, args.frames, args.samples
    loop_inputs = make_inputs(args.loop_pairs, w, f, dev)
    _, loop_evals, loop_time = loop_interaction(
        *loop_inputs, num_samples=k, seconds=args.loop_seconds
    )
    loop_rate = loop_evals / loop_time
    hbi_time, rate = hbi_rate(args.batch, w, f, k, dev)
    total = args.loop_pairs * w * f * k
    print(
        f'\n== {w} words x {f} frames, {k} samples, evaluations = (pair, i, '
        'j, sample) =='
    )
    print(
        f'{"method":<8}{"pairs":>7}{"evaluations":>14}{"seconds":>10}{"eval/s":>14}'
    )
    print(
        f'{"loop":<8}{args.loop_pairs:>7}{loop_evals:>14,}{loop_time:>10.2f}{loop_rate:>14,.0f}'
        f'   (measured on {loop_evals:,} of {total:,} evaluations, '
        'extrapolated per evaluation)'
    )
    print(
        f'{"hbi":<8}{args.batch:>7}{args.batch * w * f * k:>14,}'
        f'{hbi_time:>10.3f}{rate:>14,.0f}'
    )
    print(
        f'speed-up hbi / loop: {rate / loop_rate:,.0f}x;  loop for '
        f'{args.batch} pairs would take '
        f'~{args.batch * w * f * k / loop_rate:,.0f} s'
    )

    print(
        f'\n== hbi Monte-Carlo, {args.batch} pairs: cost vs players ({k} '
        'samples) =='
    )
    print(
        f'{"words x frames":<16}{"seconds":>10}{"eval/s":>14}'
        f'{"us/pair/sample":>16}'
    )
    for pw, pf in ((8, 4), (16, 8), (32, 12), (32, 24)):
        sec, r = hbi_rate(args.batch, pw, pf, k, dev)
        print(
            f'{f"{pw} x {pf}":<16}{sec:>10.3f}{r:>14,.0f}'
            f'{sec / args.batch / k * 1e6:>16.2f}'
        )

    print(
        f'\n== hbi Monte-Carlo, {args.batch} pairs of {w} x {f}: cost vs '
        'samples =='
    )
    print(f'{"samples":<16}{"seconds":>10}{"eval/s":>14}')
    for s in (10, 100, 1000):
        sec, r = hbi_rate(args.batch, w, f, s, dev)
        print(f'{s:<16}{sec:>10.3f}{r:>14,.0f}')

    print(
        f'\n== hbi exact (num_samples=None), one pair: cost vs players '
        f'(limit {EXACT_MAX_PLAYERS}) =='
    )
    print(
        f'{"words x frames":<16}{"players":>8}{"seconds":>10}'
        f'{"pair-subset evals/s":>22}'
    )
    for pw, pf in ((2, 2), (4, 4), (6, 6), (8, 8), (9, 9), (10, 10)):
        inputs = make_inputs(1, pw, pf, dev)
        sec = timed(
            lambda: banzhaf_interaction(*inputs),
            dev,
            repeats=2 if pw + pf < 18 else 1,
        )
        evals = pw * pf * 2 ** (pw + pf - 2)
        print(
            f'{f"{pw} x {pf}":<16}{pw + pf:>8}{sec:>10.3f}'
            f'{evals / sec:>22,.0f}'
        )


if __name__ == '__main__':
    main()
