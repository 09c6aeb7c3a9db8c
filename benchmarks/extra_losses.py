"""Cost of the companion methods: each extra loss on top of the retriever's
training step, and TACo's cascade re-ranking per query.

Part 1 builds a retriever with random weights (no file needed; ViT-B/32 by
default, ``--arch tiny`` for a quick check) and times one training step
(``loss`` + backward + AdamW, gradient clipping 1.0) of the plain retriever
and of the same retriever with each method's extra losses of
``configs/_base_/methods`` (TACo: token-aware + cascade with K = 8 through a
2-layer fusion encoder; Clover: masked views, tri-modal alignment and
ranking, fusion over patch tokens; multi-level: global + segment level with
``--segments`` segments of ``--segment-frames`` frames per video). The
batch is random, with the side inputs each loss reads. Time is the median
of ``--repeats`` runs after one warm-up; memory the RSS high-water mark.

Part 2 times TACo's re-ranking stage per query: for ``--queries`` texts
the ``--depth`` (K') best of ``--videos`` videos by the first stage are
re-scored by the fusion encoder (``FusionReranker`` through
``score_pairs``), against the first-stage scoring of all videos.

``python benchmarks/extra_losses.py [--head meanp|hbi] [--batch 8]
[--threads 2] [--device cuda] [--arch tiny --image-size 32]``
"""

import argparse
import os.path as osp
import sys

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, time_callable  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from hbi.models.rerankers import score_pairs, top_k_indices  # noqa: E402
from hbi.registry import MODELS  # noqa: E402

METHODS = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs/_base_/methods'
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='ViT-B/32')
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument('--head', default='meanp', choices=['meanp', 'hbi'])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--words', type=int, default=32)
    parser.add_argument('--segments', type=int, default=3)
    parser.add_argument('--segment-frames', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--queries', type=int, default=64)
    parser.add_argument('--videos', type=int, default=1000)
    parser.add_argument('--depth', type=int, default=16)
    parser.add_argument('--skip-step', action='store_true')
    parser.add_argument('--skip-rerank', action='store_true')
    return parser.parse_args()


def methods() -> dict:
    """Each method's extra model settings, read from its base file."""
    taco = Config.fromfile(osp.join(METHODS, 'taco.py'))
    clover = Config.fromfile(osp.join(METHODS, 'clover.py'))
    multi = Config.fromfile(osp.join(METHODS, 'multilevel.py'))
    return {
        'TACo': dict(
            extra_losses=taco.taco_extra_losses,
            fusion_encoder=taco.taco_fusion_encoder,
        ),
        'Clover': dict(
            extra_losses=clover.clover_extra_losses,
            fusion_encoder=clover.clover_fusion_encoder,
        ),
        'multi-level': dict(extra_losses=multi.multilevel_extra_losses),
    }


def model_cfg(args, extra: dict) -> dict:
    width = 64 if args.arch == 'tiny' else 512
    heads = 2 if args.arch == 'tiny' else 8
    head = (
        dict(type='MeanPoolingHead')
        if args.head == 'meanp'
        else dict(
            type='HierarchicalBanzhafHead', embed_dim=width, num_heads=heads
        )
    )
    cfg = dict(
        type='VideoTextRetriever',
        text_encoder=dict(
            type='CLIPTextTower', arch=args.arch, random_init=True
        ),
        video_encoder=dict(
            type='CLIPVisionTower', arch=args.arch, random_init=True
        ),
        head=head,
        extra_losses=[dict(c) for c in extra.get('extra_losses', [])],
    )
    if 'fusion_encoder' in extra:
        cfg['fusion_encoder'] = dict(
            extra['fusion_encoder'], embed_dim=width, num_heads=heads
        )
    return cfg


def make_batch(args) -> dict:
    gen = torch.Generator().manual_seed(0)
    b, t, words, size = args.batch, args.frames, args.words, args.image_size
    s, ts = args.segments, args.segment_frames
    ids = torch.randint(1, 49000, (b, words), generator=gen)
    ids[:, 0], ids[:, -1] = 49406, 49407
    masked = torch.ones(b, words, dtype=torch.long)
    masked[:, 3:7] = 0
    segment_ids = ids[:, None].repeat(1, s, 1)
    batch = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        frames=torch.randn(b, t, 3, size, size, generator=gen),
        frame_mask=torch.ones(b, t, dtype=torch.long),
        content_word_mask=(torch.rand(b, words, generator=gen) < 0.4).long(),
        masked_attention_mask=masked,
        segment_frames=torch.randn(b, s, ts, 3, size, size, generator=gen),
        segment_frame_mask=torch.ones(b, s, ts, dtype=torch.long),
        segment_mask=torch.ones(b, s, dtype=torch.long),
        segment_input_ids=segment_ids,
        segment_attention_mask=torch.ones_like(segment_ids),
    )
    return {key: value.to(args.device) for key, value in batch.items()}


def bench_steps(args) -> None:
    batch = make_batch(args)
    results = {}
    for name, extra in [('retriever alone', {}), *methods().items()]:
        torch.manual_seed(0)
        model = MODELS.build(model_cfg(args, extra)).to(args.device).train()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=1e-4)

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
        extra_pct = ''
        if name != 'retriever alone':
            ratio = results[name].median / results['retriever alone'].median
            extra_pct = f' ({100 * (ratio - 1):+.0f}% on the retriever)'
        print(
            f'[step] {args.head} + {name}: {results[name].spread()}'
            f'{extra_pct}, peak {results[name].memory()}',
            flush=True,
        )
        del model, optimizer, step


def bench_rerank(args) -> None:
    """First stage over ``--videos`` vs FusionReranker at depth K'."""
    torch.manual_seed(0)
    extra = dict(methods()['TACo'])
    cfg = model_cfg(args, extra)
    cfg['reranker'] = dict(type='FusionReranker', k=args.depth, weight=1.0)
    model = MODELS.build(cfg).to(args.device).eval()
    width = model.text_encoder.embed_dim
    gen = torch.Generator().manual_seed(1)
    words = torch.randn(args.queries, args.words, width, generator=gen)
    frames = torch.randn(args.videos, args.frames, width, generator=gen)
    words, frames = words.to(args.device), frames.to(args.device)
    text_mask = words.new_ones(args.queries, args.words, dtype=torch.long)
    frame_mask = words.new_ones(args.videos, args.frames, dtype=torch.long)
    with torch.no_grad():
        text = model.head.encode_text(words, text_mask)
        video = model.head.encode_video(frames, frame_mask)
    text.update(word_tokens=words, word_mask=text_mask)
    video.update(frame_tokens=frames, frame_mask=frame_mask)

    def first_stage():
        with torch.no_grad():
            sim = model.similarity(text, video, ['fused'])['fused']
            return sim.cpu().numpy()

    first = time_callable(
        first_stage, repeats=args.repeats, warmup=1, device=args.device
    )
    top = top_k_indices(first.result, args.depth)
    rows = np.repeat(np.arange(args.queries), args.depth)

    def second_stage():
        return score_pairs(model, text, video, rows, top.reshape(-1))

    second = time_callable(
        second_stage, repeats=args.repeats, warmup=1, device=args.device
    )
    per_query = 1e3 / args.queries
    print(
        f'[rerank] first stage, {args.queries} queries x {args.videos} '
        f'videos: {first.median * per_query:.2f} ms/query; fusion re-ranking '
        f"of the top K'={args.depth}: {second.median * per_query:.2f} "
        f'ms/query ({second.spread()} for all queries)',
        flush=True,
    )


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('hbi')
    print(f'# {load_note()} device={args.device} arch={args.arch}')
    if not args.skip_step:
        bench_steps(args)
    if not args.skip_rerank:
        bench_rerank(args)


if __name__ == '__main__':
    main()
