"""Retrieval-evaluation similarity: released per-block merging vs encode once.

(``docs/en/methods/hbi.md`` A4-A6, A10). On random token features and a
randomly initialised full-size ``HierarchicalBanzhafHead`` this compares

(a) the released evaluation: its token merging sits inside the pairwise
    similarity function, so for every block of ``--block`` texts x ``--block``
    videos both blocks are merged again (CTM + TCBlock, all levels) before
    the interaction;
(b) ours: ``encode_text`` / ``encode_video`` once per item (all levels), then
    ``similarity`` block by block over the text rows.

Both give the same matrices (checked, max abs difference <= ``--tol`` for every
level and for the fused similarity with rate (1,0,0) and (1,1,1)). Part 2 runs
(b) at MSR-VTT full-test scale (59,800 captions x 2,990 videos), by default on
a fraction of the caption rows, extrapolated and labelled as such.

Run ``python benchmarks/eval_similarity.py -h`` for the options.
"""

import argparse
import math
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import (
    current_rss_bytes,
    format_bytes,  # noqa
    load_note,
    reset_rss_peak,
    rss_peak_bytes,
    time_callable,
)

from hbi.models.heads import (
    HierarchicalBanzhafHead,  # noqa
    index_select_features,
)

Sims = Dict[str, Tensor]
RATES = {'fused': (1.0, 0.0, 0.0), 'fused(1,1,1)': (1.0, 1.0, 1.0)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-texts', type=int, default=1000)
    parser.add_argument('--num-videos', type=int, default=1000)
    parser.add_argument('--words', type=int, default=32, help='Lt')
    parser.add_argument('--frames', type=int, default=12, help='Lv')
    parser.add_argument('--embed-dim', type=int, default=512)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--block',
        type=int,
        default=32,
        help='released block: texts and videos per block',
    )
    parser.add_argument(
        '--released-blocks',
        default='64',
        help='(a) runs this many of its blocks (an evenly '
        'spread grid) and its full time is extrapolated; '
        "'all' runs every block (about 10-20x the default "
        'run time on 2 cores)',
    )
    parser.add_argument(
        '--sim-block',
        type=int,
        default=1024,
        help='(b): text rows per similarity call',
    )
    parser.add_argument(
        '--encode-batch',
        type=int,
        default=0,
        help="(b): items per encode call, as a test loop's "
        'batch; 0 = 128 on cpu (the fastest per item on 2 '
        'cores), 1024 on cuda',
    )
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--tol', type=float, default=1e-5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch CPU threads (0 = torch default); on a '
        'loaded machine 1 avoids OpenMP stalls that slow the '
        'many small ops of (a) most',
    )
    parser.add_argument(
        '--skip-full-scale', dest='full_test_scale', action='store_false'
    )
    parser.add_argument(
        '--full-test-scale',
        dest='full_test_scale',
        action='store_true',
        default=True,
        help='part 2 (default on)',
    )
    parser.add_argument('--full-texts', type=int, default=59800)
    parser.add_argument('--full-videos', type=int, default=2990)
    parser.add_argument(
        '--full-scale-fraction',
        type=float,
        default=0.05,
        help='part 2 encodes and scores this fraction of the '
        'caption rows and extrapolates (1 = no '
        'extrapolation; about 1.5 h on 2 cores)',
    )
    args = parser.parse_args()
    if not 0 < args.full_scale_fraction <= 1:
        parser.error('--full-scale-fraction must be in (0, 1]')
    if args.encode_batch <= 0:
        args.encode_batch = 128 if args.device == 'cpu' else 1024
    if args.released_blocks != 'all' and int(args.released_blocks) < 1:
        parser.error("--released-blocks must be a positive int or 'all'")
    return args


def random_items(
    num: int,
    length: int,
    dim: int,
    min_length: int,
    generator: torch.Generator,
    device: str,
) -> Tuple[Tensor, Tensor]:
    """Random tokens (num, length, dim) and a mask of random real lengths."""
    tokens = torch.randn(num, length, dim, generator=generator)
    lengths = torch.randint(
        min_length, length + 1, (num,), generator=generator
    )
    mask = (torch.arange(length)[None] < lengths[:, None]).float()
    return tokens.to(device), mask.to(device)


def add_fused(sims: Sims, levels: Sequence[str]) -> Sims:
    """Add the fused similarity of every rate in ``RATES`` (the head's own
    ``fused`` uses its configured rate (1,0,0); it is checked, not replaced).
    """
    for name, rate in RATES.items():
        fused = sum(r * sims[level] for r, level in zip(rate, levels))
        if name in sims:
            if not torch.equal(sims[name], fused):
                raise AssertionError(f'head fused != rate {rate} fusion')
        else:
            sims[name] = fused
    return sims


def released_block(
    head: HierarchicalBanzhafHead,
    text: Tuple[Tensor, Tensor],
    video: Tuple[Tensor, Tensor],
) -> Sims:
    """(a) One block of the released evaluation: merge both blocks, interact.

    The release's merging (CTM+TCBlock) and its weight heads live in the
    pairwise similarity function, so they run again for every block pair.
    """
    return head.similarity(head.encode_text(*text), head.encode_video(*video))


def grid(num_items: int, block: int, take: Optional[int]) -> List[int]:
    """Start indices of ``take`` evenly spread blocks (all if None)."""
    starts = list(range(0, num_items, block))
    if take is None or take >= len(starts):
        return starts
    picks = torch.linspace(0, len(starts) - 1, take).round().long().unique()
    return [starts[i] for i in picks.tolist()]


def run_released(
    head: HierarchicalBanzhafHead,
    texts: Tuple[Tensor, Tensor],
    videos: Tuple[Tensor, Tensor],
    block: int,
    text_starts: List[int],
    video_starts: List[int],
) -> Dict:
    """(a) over the chosen blocks; returns {(t0, v0): block sims}."""
    out = {}
    for t0 in text_starts:
        text = tuple(x[t0 : t0 + block] for x in texts)
        for v0 in video_starts:
            video = tuple(x[v0 : v0 + block] for x in videos)
            out[(t0, v0)] = released_block(head, text, video)
    return out


def encode_all(
    encode: Callable, tokens: Tensor, mask: Tensor, batch: int
) -> Dict[str, Tensor]:
    """(b) Encode every item once, ``batch`` items per call, into tensors
    allocated once (no concatenation holding every feature twice)."""
    num, out = tokens.shape[0], None
    for start in range(0, num, batch):
        feats = encode(
            tokens[start : start + batch], mask[start : start + batch]
        )
        if out is None:
            out = {
                key: value.new_empty((num, *value.shape[1:]))
                for key, value in feats.items()
            }
        for key, value in feats.items():
            out[key][start : start + value.shape[0]] = value
    return out


def similarity_matrix(
    head: HierarchicalBanzhafHead,
    text_feats: Dict[str, Tensor],
    video_feats: Dict[str, Tensor],
    rows: int,
) -> Sims:
    """(b) Fill the (Nt, Nv) matrices ``rows`` text rows at a time."""
    num_texts = text_feats['entity_tokens'].shape[0]
    num_videos = video_feats['entity_tokens'].shape[0]
    out = None
    for start in range(0, num_texts, rows):
        sims = head.similarity(
            index_select_features(text_feats, slice(start, start + rows)),
            video_feats,
        )
        if out is None:
            out = {
                key: value.new_empty(num_texts, num_videos)
                for key, value in sims.items()
            }
        for key, value in sims.items():
            out[key][start : start + rows] = value
    return out


def print_rows_choice(
    args: argparse.Namespace, rows: int, num_videos: int
) -> None:
    print(
        f'  (b) encode {args.encode_batch} items per call; similarity '
        f'{rows} text rows x {num_videos} videos per call (the interaction '
        'tiles internally, so memory does not grow with the rows)'
    )


def table(rows: List[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print('  ' + ' | '.join(c.ljust(w) for c, w in zip(row, widths)))
        if index == 0:
            print('  ' + '-+-'.join('-' * w for w in widths))


def part_one(
    args: argparse.Namespace,
    head: HierarchicalBanzhafHead,
    gen: torch.Generator,
) -> float:
    """(a) vs (b) at --num-texts x --num-videos; returns (a)'s s/block."""
    nt, nv, blk = args.num_texts, args.num_videos, args.block
    texts = random_items(nt, args.words, args.embed_dim, 3, gen, args.device)
    videos = random_items(
        nv,
        args.frames,
        args.embed_dim,
        max(1, args.frames // 2),
        gen,
        args.device,
    )
    take = (
        None
        if args.released_blocks == 'all'
        else max(1, round(math.sqrt(int(args.released_blocks))))
    )
    t_starts, v_starts = grid(nt, blk, take), grid(nv, blk, take)
    total_blocks = math.ceil(nt / blk) * math.ceil(nv / blk)
    run_blocks = len(t_starts) * len(v_starts)
    rows = min(args.sim_block, nt)
    print(
        f'\n== Part 1: {nt} texts ({args.words} words) x {nv} videos '
        f'({args.frames} frames), D={args.embed_dim}, device {args.device}'
    )
    how = (
        'all'
        if run_blocks == total_blocks
        else ('evenly spread grid; total time EXTRAPOLATED')
    )
    print(
        f'  (a) released: {run_blocks} of {total_blocks} blocks of {blk}x'
        f'{blk} run ({how})'
    )
    print_rows_choice(args, rows, nv)
    print(f'  load before: {load_note()}')

    split = {}

    def ours() -> Sims:
        start = time.perf_counter()
        tf = encode_all(head.encode_text, *texts, args.encode_batch)
        vf = encode_all(head.encode_video, *videos, args.encode_batch)
        if args.device == 'cuda':
            torch.cuda.synchronize()
        split['encode'] = time.perf_counter() - start
        sims = similarity_matrix(head, tf, vf, rows)
        split['matrix'] = time.perf_counter() - start - split['encode']
        return sims

    def ours_warm() -> Sims:
        small = tuple(x[:64] for x in texts), tuple(x[:64] for x in videos)
        return head.similarity(
            head.encode_text(*small[0]), head.encode_video(*small[1])
        )

    m_a = time_callable(
        lambda: run_released(head, texts, videos, blk, t_starts, v_starts),
        args.repeats,
        1,
        lambda: run_released(
            head, texts, videos, blk, t_starts[:1], v_starts[:1]
        ),
        args.device,
    )
    m_b = time_callable(ours, args.repeats, 1, ours_warm, args.device)
    sims_b = add_fused(m_b.result, head.levels)

    print(
        '  max |(a) - (b)| over the blocks (a) ran '
        f'({run_blocks * blk * blk} pairs at most):'
    )
    worst = {}
    for (t0, v0), sims_a in m_a.result.items():
        add_fused(sims_a, head.levels)
        for key, value in sims_a.items():
            ref = sims_b[key][t0 : t0 + blk, v0 : v0 + blk]
            diff = (value - ref).abs().max().item()
            worst[key] = max(worst.get(key, 0.0), diff)
    table(
        [('similarity', 'max abs diff', f'<= {args.tol:g}')]
        + [
            (k, f'{d:.3e}', 'ok' if d <= args.tol else 'FAIL')
            for k, d in worst.items()
        ]
    )

    per_block = m_a.median / run_blocks
    time_a = per_block * total_blocks
    pairs = nt * nv
    label = '' if run_blocks == total_blocks else ' (extrapolated)'
    print(
        f'  (a) {m_a.spread()} for {run_blocks} blocks -> '
        f'{per_block * 1e3:.1f} ms/block'
    )
    print(
        f'  (b) {m_b.spread()} (encode all + matrix; last run: encode '
        f'{split["encode"]:.1f} s, matrix {split["matrix"]:.1f} s)'
    )
    table(
        [
            ('approach', 'time [s]', 'pairs/s', 'peak memory'),
            (
                f'(a) released, per-block merging{label}',
                f'{time_a:.1f}',
                f'{pairs / time_a:,.0f}',
                m_a.memory(),
            ),
            (
                '(b) encode once + blocked similarity',
                f'{m_b.median:.1f}',
                f'{pairs / m_b.median:,.0f}',
                m_b.memory(),
            ),
        ]
    )
    print(
        f'  speed-up (a)/(b): {time_a / m_b.median:.1f}x{label} '
        '(goal >= 20x); fused rate (1,0,0) and (1,1,1) come from the same '
        'level matrices, so their timings are the same'
    )
    print(f'  load after: {load_note()}')
    failed = [k for k, d in worst.items() if d > args.tol]
    if failed:
        raise AssertionError(
            f'(a) and (b) differ by more than {args.tol} on {failed}'
        )
    return per_block


def part_two(
    args: argparse.Namespace,
    head: HierarchicalBanzhafHead,
    gen: torch.Generator,
    per_block_a: float,
) -> None:
    """(b) at MSR-VTT full-test scale, on a fraction of the caption rows."""
    frac = args.full_scale_fraction
    nt_full, nv = args.full_texts, args.full_videos
    nt = max(1, round(nt_full * frac))
    scale = nt_full / nt
    rows = min(args.sim_block, nt)
    extrap = '' if nt == nt_full else f' [EXTRAPOLATED x{scale:.1f}]'
    print(
        f'\n== Part 2: MSR-VTT full-test scale, {nt_full} captions x {nv} '
        f'videos, (b) only'
    )
    if nt < nt_full:
        print(
            f'  --full-scale-fraction {frac}: {nt} caption rows encoded and '
            f'scored (all {nv} videos); caption encode and matrix time '
            f'extrapolated x{scale:.1f}'
        )
    print_rows_choice(args, rows, nv)
    print(f'  load before: {load_note()}')
    cuda = args.device == 'cuda'
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        reset_rss_peak()
        base = current_rss_bytes() or 0
    # Random inputs (the towers' output in a real run, where a test loop
    # holds one batch of them at a time); the captions' are freed once
    # encoded.
    texts = random_items(nt, args.words, args.embed_dim, 3, gen, args.device)
    videos = random_items(
        nv,
        args.frames,
        args.embed_dim,
        max(1, args.frames // 2),
        gen,
        args.device,
    )
    input_bytes = sum(x.numel() * x.element_size() for x in texts)
    timings = {}
    start = time.perf_counter()
    feats = {}
    for name, encode, items in (
        ('video', head.encode_video, videos),
        ('text', head.encode_text, texts),
    ):
        t0 = time.perf_counter()
        feats[name] = encode_all(encode, *items, args.encode_batch)
        if cuda:
            torch.cuda.synchronize()
        timings[f'encode {name}'] = time.perf_counter() - t0
    del texts, items
    t0 = time.perf_counter()
    sims = similarity_matrix(head, feats['text'], feats['video'], rows)
    if cuda:
        torch.cuda.synchronize()
    timings['matrix'] = time.perf_counter() - t0
    measured_total = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if cuda else rss_peak_bytes()
    kind = (
        'CUDA max_memory_allocated' if cuda else 'process RSS high-water mark'
    )

    full = {
        'encode video': timings['encode video'],
        'encode text': timings['encode text'] * scale,
        'matrix': timings['matrix'] * scale,
    }
    full_total = sum(full.values())
    pairs = nt_full * nv
    table(
        [('step', 'measured [s]', f'full scale [s]{extrap}')]
        + [(k, f'{timings[k]:.1f}', f'{full[k]:.1f}') for k in full]
        + [('total', f'{measured_total:.1f}', f'{full_total:.1f}')]
    )
    print(
        f'  pairs/s: measured {nt * nv / measured_total:,.0f}; full scale '
        f'{pairs / full_total:,.0f}{extrap}'
    )
    # Memory that grows with the caption rows: while encoding, their inputs
    # and features; while scoring, their features and output rows.
    feat_bytes = sum(
        v.numel() * v.element_size() for v in feats['text'].values()
    )
    out_bytes = sum(v.numel() * v.element_size() for v in sims.values())
    per_row = max(input_bytes + feat_bytes, feat_bytes + out_bytes) / nt
    print(
        f'  peak memory measured: {format_bytes(peak)} ({kind}; '
        f'+{format_bytes(peak - base)} over the start of part 2, including '
        f'the random caption inputs, {format_bytes(input_bytes)})'
    )
    if nt < nt_full:
        print(
            f'  peak memory at full scale (ESTIMATE: measured + '
            f'{nt_full - nt:,} more caption rows x max(inputs + features, '
            f'features + output rows) = {format_bytes(per_row)} per row): '
            f'{format_bytes(peak + (nt_full - nt) * per_row)}'
        )
    blocks_a = math.ceil(nt_full / args.block) * math.ceil(nv / args.block)
    est_a = per_block_a * blocks_a
    print(
        f'  (a) released approach at this scale: ESTIMATE only (not run): '
        f'{blocks_a:,} blocks x {per_block_a * 1e3:.1f} ms/block (part 1) = '
        f'{est_a:,.0f} s = {est_a / 3600:.1f} h -> '
        f'{est_a / full_total:.0f}x (b)'
    )
    print(f'  load after: {load_note()}')


def main() -> None:
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    head = HierarchicalBanzhafHead(
        embed_dim=args.embed_dim, num_levels=3, rate=RATES['fused']
    ).eval()
    head.to(args.device)
    print(f'torch {torch.__version__}, {load_note()}')
    print(
        f'head: HierarchicalBanzhafHead(embed_dim={args.embed_dim}, '
        f'num_levels=3, rate={head.rate}), random init, eval, no_grad; '
        f'all levels computed; fused also reported for rate (1,1,1)'
    )
    with torch.no_grad():
        per_block_a = part_one(args, head, gen)
        if args.full_test_scale:
            part_two(args, head, gen, per_block_a)


if __name__ == '__main__':
    main()
