"""One training step of full-size HBI vs the meanP dual encoder, and the
all-level similarity throughput.

Part 1 builds three ViT-B/32 retrievers with random weights (no file
needed): the meanP dual encoder (``IdentityTemporal`` + ``MeanPoolingHead``),
HBI with meanP frames (so the difference is the HBI head alone), and full HBI
(seqTransf + head, Banzhaf terms on with a random teacher). Each step is
forward (``loss``) + backward + AdamW step (+ grad clipping 1.0) on the same
batch; time is the median of ``--repeats`` runs after one warm-up, memory the
process RSS high-water mark of the timed runs (``_timing.py``). The HBI head
budget is at most 15% on top of the meanP step.

Part 2: ``model.similarity`` of ``--num-texts`` x ``--num-videos`` encoded
items (all three levels computed on every call), on random token features
through a full-size head, in blocks of ``--sim-block`` texts; pairs/s.

``--device cuda`` runs both parts on the GPU; ``--amp fp16|bf16`` runs the
step under ``torch.autocast`` (fp16 with a ``GradScaler``), as
``tools/train.py --amp`` does through mmengine's ``AmpOptimWrapper``.

``python benchmarks/train_step.py [--batch 8] [--threads 2] [--skip-step]
[--device cuda --amp bf16]``
"""

import argparse
import os.path as osp
import sys
import warnings

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, start_benchmark, time_callable  # noqa: E402

from hbi.models.heads import cat_features, index_select_features  # noqa
from hbi.registry import MODELS  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--words', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch threads (0: leave the default)',
    )
    parser.add_argument('--num-texts', type=int, default=1000)
    parser.add_argument('--num-videos', type=int, default=1000)
    parser.add_argument('--sim-block', type=int, default=100)
    parser.add_argument('--teacher', default='/tmp/hbi_bench_teacher.pth')
    parser.add_argument('--skip-step', action='store_true')
    parser.add_argument('--skip-similarity', action='store_true')
    parser.add_argument(
        '--head-only',
        action='store_true',
        help='part 3 only: the HBI head alone',
    )
    parser.add_argument(
        '--profile',
        action='store_true',
        help='part 3 also prints a torch.profiler table',
    )
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:k]')
    parser.add_argument(
        '--amp',
        default='off',
        choices=['off', 'fp16', 'bf16'],
        help='autocast dtype of the training step',
    )
    return parser.parse_args()


def model_cfg(kind: str, teacher: str) -> dict:
    towers = dict(
        # random weights on purpose: only the step's speed is measured
        text_encoder=dict(
            type='CLIPTextTower', arch='ViT-B/32', random_init=True
        ),
        video_encoder=dict(
            type='CLIPVisionTower', arch='ViT-B/32', random_init=True
        ),
    )
    hbi_head = dict(
        type='HierarchicalBanzhafHead',
        embed_dim=512,
        teacher_checkpoint=teacher,
    )
    if kind == 'meanP dual encoder':
        return dict(
            type='VideoTextRetriever',
            **towers,
            temporal=dict(type='IdentityTemporal'),
            head=dict(type='MeanPoolingHead'),
        )
    if kind == 'HBI head, meanP frames':
        return dict(
            type='VideoTextRetriever',
            **towers,
            temporal=dict(type='IdentityTemporal'),
            head=hbi_head,
        )
    return dict(
        type='VideoTextRetriever',
        **towers,
        temporal=dict(type='TemporalTransformer', width=512, num_layers=4),
        init_temporal_from_text=True,
        head=hbi_head,
    )


def make_batch(args, image_size: int = 224) -> dict:
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 49000, (args.batch, args.words), generator=gen)
    ids[:, 0] = 49406
    ids[:, -1] = 49407
    batch = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        frames=torch.randn(
            args.batch,
            args.frames,
            3,
            image_size,
            image_size,
            generator=gen,
        ),
        frame_mask=torch.ones(args.batch, args.frames, dtype=torch.long),
    )
    return {key: value.to(args.device) for key, value in batch.items()}


def report_host_syncs(kind: str, step) -> None:
    """Count the host-device synchronisations of one CUDA step (each makes
    the CPU wait instead of queueing kernels ahead of the GPU)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            step()
        finally:
            torch.cuda.set_sync_debug_mode('default')
    print(
        f'[sync] {kind}: {len(caught)} host syncs in one step (the final '
        'float(loss) is one)'
    )
    for warning in caught[:8]:
        print(f'    {warning.filename}:{warning.lineno}')


def build_step(model, batch: dict, device, amp_dtype, data_samples=None):
    """One training step of ``model`` on ``batch``: forward (``loss``) +
    backward + AdamW (the release's betas, eps, weight decay) with gradient
    clipping 1.0, under autocast when ``amp_dtype`` is set (fp16 with a
    ``GradScaler``). Returns the step as a callable (returning the loss)."""
    if getattr(model, 'init_temporal_from_text', False):
        model.temporal.init_from_text_tower(model.text_encoder)
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        params, lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2
    )
    scaler = torch.amp.GradScaler(
        device.type, enabled=amp_dtype == torch.float16
    )

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(
            device.type, dtype=amp_dtype, enabled=amp_dtype is not None
        ):
            losses = model.loss(batch, data_samples)
        loss = sum(losses.values())
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)
        scaler.update()
        return float(loss.detach())

    return step


def bench_steps(args) -> None:
    batch = make_batch(args)
    device = torch.device(args.device)
    amp_dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(args.amp)
    results = {}
    for kind in (
        'meanP dual encoder',
        'HBI head, meanP frames',
        'HBI (seqTransf + head)',
    ):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg(kind, args.teacher))
        step = build_step(model, batch, device, amp_dtype)
        measure = time_callable(
            step, repeats=args.repeats, warmup=1, device=args.device
        )
        results[kind] = measure
        print(
            f'[step] {kind}: {measure.spread()}, peak {measure.memory()}',
            flush=True,
        )
        if device.type == 'cuda':
            report_host_syncs(kind, step)
        del model, step
    base = results['meanP dual encoder'].median
    for kind in ('HBI head, meanP frames', 'HBI (seqTransf + head)'):
        extra = results[kind].median / base - 1
        print(
            f'[step] {kind}: {100 * extra:+.1f}% over meanP '
            f'(budget for the HBI head: +15%)'
        )


def bench_similarity(args) -> None:
    torch.manual_seed(0)
    head = (
        MODELS.build(
            dict(
                type='HierarchicalBanzhafHead',
                embed_dim=512,
                rate=(1.0, 1.0, 1.0),
            )
        )
        .eval()
        .to(args.device)
    )
    mask_t = torch.zeros(args.num_texts, args.words, device=args.device)
    lengths = torch.randint(5, args.words + 1, (args.num_texts,))
    for i, n in enumerate(lengths):
        mask_t[i, :n] = 1
    mask_v = torch.ones(args.num_videos, args.frames, device=args.device)
    with torch.no_grad():
        text = head.encode_text(
            torch.randn(args.num_texts, args.words, 512, device=args.device),
            mask_t,
        )
        video = head.encode_video(
            torch.randn(args.num_videos, args.frames, 512, device=args.device),
            mask_v,
        )

    def run():
        rows = []
        with torch.no_grad():
            for start in range(0, args.num_texts, args.sim_block):
                block = index_select_features(
                    text, slice(start, start + args.sim_block)
                )
                sims = head.similarity(block, video)
                rows.append(
                    torch.stack(
                        [sims[k] for k in ('entity', 'action', 'event')]
                    )
                )
        return torch.cat(rows, dim=1)

    measure = time_callable(
        run, repeats=args.repeats, warmup=1, device=args.device
    )
    pairs = args.num_texts * args.num_videos
    print(
        f'[similarity] {args.num_texts} x {args.num_videos}, 3 levels, '
        f'blocks of {args.sim_block} texts: {measure.spread()}, '
        f'{pairs / measure.median:,.0f} pairs/s, peak {measure.memory()}'
    )


def bench_head(args) -> None:
    """Part 3: the HBI head alone, forward (``loss``) + backward, on random
    token features of the step's shapes (Banzhaf terms on)."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    head = MODELS.build(
        dict(
            type='HierarchicalBanzhafHead',
            embed_dim=512,
            teacher_checkpoint=args.teacher,
        )
    )
    head.to(device).train()
    text = torch.randn(
        args.batch, args.words, 512, device=device, requires_grad=True
    )
    video = torch.randn(
        args.batch, args.frames, 512, device=device, requires_grad=True
    )
    text_mask = torch.ones(args.batch, args.words, device=device)
    text_mask[:, args.words // 2 :] = 0  # captions are shorter than 32 words
    video_mask = torch.ones(args.batch, args.frames, device=device)
    logit_scale = torch.tensor(4.6, device=device)

    def step():
        losses = head.loss(
            head.encode_text(text, text_mask),
            head.encode_video(video, video_mask),
            logit_scale,
        )
        sum(losses.values()).backward()

    measure = time_callable(
        step, repeats=max(args.repeats, 5), warmup=2, device=args.device
    )
    print(
        f'[head] HBI head alone, batch {args.batch}: {measure.spread()}, '
        f'peak {measure.memory()}',
        flush=True,
    )
    if not args.profile:
        return
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        step()
        if device.type == 'cuda':
            torch.cuda.synchronize()
    sort_by = (
        'self_cuda_time_total'
        if device.type == 'cuda'
        else 'self_cpu_time_total'
    )
    print(prof.key_averages().table(sort_by=sort_by, row_limit=25))


def main() -> None:
    args = parse_args()
    start_benchmark(args, random_teacher=True)
    if args.head_only:
        bench_head(args)
        return
    if not args.skip_similarity:
        bench_similarity(args)
    if not args.skip_step:
        bench_steps(args)
    print(f'load after: {load_note()}')


if __name__ == '__main__':
    main()
