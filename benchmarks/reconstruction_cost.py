"""What HBI-v2's reconstruction neck costs: in a training step, and as the
optional re-ranking stage.

Part 1 (``step``): one training step (forward ``loss`` + backward + AdamW,
clip 1.0) of full-size ViT-B/32 HBI (seqTransf + head, Banzhaf terms on with
a random teacher) without and with the ``CrossModalReconstruction`` neck, on
one batch (default 8 pairs, 12 frames, 24 words: the release's MSR-VTT
shape). Median of ``--repeats`` steps after one warm-up, peak RSS of the
timed steps; the goal is at most +10% for the neck.

Part 2 (``head``): the head alone (``encode_*`` + ``loss`` + backward on
random token features of the step's shapes) without and with the neck: the
same difference without the towers' noise.

Part 3 (``rerank``): per text query against a gallery of ``--gallery``
encoded videos (random full-size features through a v2 head): the first
stage (the fused similarity of the query with every video, queries scored
``--queries`` at a time) and the re-ranking stage at depth k (16 and 64:
``ReconstructionReranker`` on the query's k best videos, pairs in batches
of 256), in ms per query.

    python benchmarks/reconstruction_cost.py [--parts step head rerank]
        [--batch 8] [--repeats 2] [--threads 2] [--device cuda]
    python benchmarks/reconstruction_cost.py --tiny   # a quick check
"""

import argparse
import copy
import os.path as osp
import sys

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, start_benchmark, time_callable  # noqa: E402
from train_step import make_batch, model_cfg  # noqa: E402

from hbi.models.rerankers import score_pairs, top_k_indices  # noqa: E402
from hbi.registry import MODELS  # noqa: E402

NECK = dict(type='CrossModalReconstruction', num_heads=8)
TINY_ARCH = dict(
    base='tiny',
    embed_dim=64,
    vision=dict(width=64, layers=1, heads=2),
    text=dict(width=64, layers=1, heads=2),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--parts', nargs='+', default=['step', 'head', 'rerank']
    )
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--words', type=int, default=24)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--gallery', type=int, default=1000)
    parser.add_argument('--queries', type=int, default=32)
    parser.add_argument('--depths', type=int, nargs='+', default=[16, 64])
    parser.add_argument('--teacher', default='/tmp/hbi_bench_teacher.pth')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='tiny towers (width 64) and small sizes: checks the script runs',
    )
    args = parser.parse_args()
    if args.tiny:
        args.batch, args.frames, args.words = 2, 4, 8
        args.gallery, args.queries, args.repeats = 40, 4, 1
    return args


def _width(args) -> int:
    return TINY_ARCH['embed_dim'] if args.tiny else 512


def _retriever_cfg(args, neck: bool) -> dict:
    cfg = model_cfg('HBI (seqTransf + head)', args.teacher)
    width = _width(args)
    if args.tiny:
        for tower in ('text_encoder', 'video_encoder'):
            cfg[tower]['arch'] = TINY_ARCH
        cfg['temporal'].update(width=width, num_layers=1)
        cfg['head']['embed_dim'] = width
    if neck:
        cfg['head']['reconstruction'] = copy.deepcopy(NECK)
    return cfg


def bench_step(args) -> None:
    batch = make_batch(args)
    if args.tiny:
        batch['frames'] = batch['frames'][..., :32, :32].contiguous()
    device = torch.device(args.device)
    results = {}
    for name, neck in (('HBI v1', False), ('HBI-v2 (neck)', True)):
        torch.manual_seed(0)
        model = MODELS.build(_retriever_cfg(args, neck))
        model.temporal.init_from_text_tower(model.text_encoder)
        model.to(device).train()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.98))

        def step(model=model, optimizer=optimizer, params=params):
            optimizer.zero_grad(set_to_none=True)
            loss = sum(model.loss(batch).values())
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            return float(loss.detach())

        results[name] = time_callable(
            step, repeats=args.repeats, warmup=1, device=args.device
        )
        print(
            f'[step] {name}: {results[name].spread()}, peak '
            f'{results[name].memory()}',
            flush=True,
        )
        del model, optimizer, step
    extra = results['HBI-v2 (neck)'].median / results['HBI v1'].median - 1
    print(f'[step] neck: {100 * extra:+.1f}% over HBI v1 (goal: <= +10%)')


def bench_head(args) -> None:
    device = torch.device(args.device)
    width = _width(args)
    gen = torch.Generator().manual_seed(0)
    text = torch.randn(args.batch, args.words, width, generator=gen)
    video = torch.randn(args.batch, args.frames, width, generator=gen)
    text, video = text.to(device), video.to(device)
    text_mask = torch.ones(args.batch, args.words, device=device)
    text_mask[:, args.words * 2 // 3 :] = 0
    video_mask = torch.ones(args.batch, args.frames, device=device)
    results = {}
    for name, neck in (('HBI v1 head', False), ('HBI-v2 head', True)):
        torch.manual_seed(0)
        head = MODELS.build(_retriever_cfg(args, neck)['head'])
        head.to(device).train()
        t = text.clone().requires_grad_(True)
        v = video.clone().requires_grad_(True)

        def step(head=head, t=t, v=v):
            losses = head.loss(
                head.encode_text(t, text_mask),
                head.encode_video(v, video_mask),
                4.6,
            )
            sum(losses.values()).backward()

        results[name] = time_callable(
            step, repeats=max(args.repeats, 5), warmup=2, device=args.device
        )
        print(
            f'[head] {name}, batch {args.batch}: {results[name].spread()}, '
            f'peak {results[name].memory()}',
            flush=True,
        )
    extra = results['HBI-v2 head'].median - results['HBI v1 head'].median
    print(f'[head] the neck adds {1000 * extra:.1f} ms per step (fwd + bwd)')


class _Retriever(torch.nn.Module):
    """The head with a reranker, as the retriever calls it."""

    def __init__(self, head, reranker):
        super().__init__()
        self.head, self.reranker = head, reranker

    def similarity(self, text, video, levels=None):
        return self.head.similarity(text, video, levels=levels)

    def rerank_scores(self, text, video, ti, vi):
        return self.reranker(self, text, video, ti, vi)


def bench_rerank(args) -> None:
    device = torch.device(args.device)
    width = _width(args)
    torch.manual_seed(0)
    head = MODELS.build(_retriever_cfg(args, True)['head']).to(device).eval()
    gen = torch.Generator().manual_seed(1)
    lengths = torch.randint(5, args.words + 1, (args.queries,), generator=gen)
    text_mask = (torch.arange(args.words)[None] < lengths[:, None]).float()
    with torch.no_grad():
        text = head.encode_text(
            torch.randn(args.queries, args.words, width, generator=gen).to(
                device
            ),
            text_mask.to(device),
        )
        video = head.encode_video(
            torch.randn(args.gallery, args.frames, width, generator=gen).to(
                device
            ),
            torch.ones(args.gallery, args.frames, device=device),
        )

    def first_stage():
        with torch.no_grad():
            return head.similarity(text, video, levels=('fused',))['fused']

    first = time_callable(
        first_stage, repeats=max(args.repeats, 3), warmup=1, device=args.device
    )
    per_query = 1000 * first.median / args.queries
    print(
        f'[rerank] first stage, {args.queries} queries x {args.gallery} '
        f'videos: {per_query:.2f} ms/query, peak {first.memory()}',
        flush=True,
    )
    scores = first.result.float().cpu().numpy()
    for depth in args.depths:
        reranker = MODELS.build(
            dict(type='ReconstructionReranker', k=depth, weight=1.0)
        )
        model = _Retriever(head, reranker)
        top = top_k_indices(scores, depth)
        rows = np.repeat(np.arange(args.queries), top.shape[1])

        def second_stage(model=model, top=top, rows=rows):
            return score_pairs(model, text, video, rows, top.reshape(-1))

        measure = time_callable(
            second_stage,
            repeats=max(args.repeats, 3),
            warmup=1,
            device=args.device,
        )
        ms = 1000 * measure.median / args.queries
        print(
            f'[rerank] re-ranking at k={depth}: {ms:.2f} ms/query '
            f'({ms / per_query:.2f}x the first stage), peak '
            f'{measure.memory()}',
            flush=True,
        )


def main() -> None:
    args = parse_args()
    start_benchmark(args, random_teacher=True)
    for part, bench in (
        ('step', bench_step),
        ('head', bench_head),
        ('rerank', bench_rerank),
    ):
        if part in args.parts:
            bench(args)
    print(f'load after: {load_note()}')


if __name__ == '__main__':
    main()
