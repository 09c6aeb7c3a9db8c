"""Captioning costs: decoding speed, the metric's time, the training step.

Part ``decode``: captions per second of the full-size decoder (3 layers,
width 512, 8 heads, CLIP's 49,408 tokens; random weights at std 0.3 so that
the memory changes the output) over the memory of ``--num-videos`` videos
(12 frame + 3 action + 1 event tokens of width 512), greedy and beam 3, in
batches of 1 and of 64. In float32 it counts the captions that differ
between the two batch sizes (random weights leave near-ties that the two
matrix-product paths round apart); in float64, batched and one-at-a-time
decoding of 16 videos must be identical (the script fails otherwise).
Random weights rarely emit the end token, so most captions run to
``--max-length``: a worst case.

Part ``metric``: ``caption_scores`` (PTB tokenizer, BLEU, METEOR, ROUGE-L,
CIDEr-D; Java) on ``--metric-videos`` videos x ``--metric-refs``
references of random words with MSR-VTT's caption lengths (9 +- 3 words).

Part ``step``: one training step (forward ``loss`` + backward + AdamW, clip
1.0) of the full-size HBI retriever (ViT-B/32 random, seqTransf, 3-level
head, Banzhaf terms off) against the encoder-decoder built on it (decoder +
caption loss, retrieval losses on), with the full vocabulary and with the
output restricted to ``--vocab`` tokens (``CaptionVocabularyHook``), on one
batch (``--batch``, 12 frames, 32 words, 20 caption tokens).

``--tiny`` runs every part at a toy size (tiny towers, a 64-wide decoder,
8 videos, 50 x 5 references) to check that the script works.

``python benchmarks/captioning.py [--parts decode metric step] [--threads 2]
[--device cuda] [--tiny]``
"""

import argparse
import copy
import inspect
import os.path as osp
import random
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, time_callable  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from hbi.evaluation.functional import caption_scores  # noqa: E402
from hbi.registry import MODELS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--parts', nargs='+', default=['decode', 'metric', 'step']
    )
    parser.add_argument('--num-videos', type=int, default=128)
    parser.add_argument('--max-length', type=int, default=20)
    parser.add_argument('--metric-videos', type=int, default=2990)
    parser.add_argument('--metric-refs', type=int, default=20)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--vocab', type=int, default=10000)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--tiny', action='store_true')
    args = parser.parse_args(argv)
    if args.tiny:
        args.num_videos, args.metric_videos, args.metric_refs = 8, 50, 5
        args.max_length, args.batch, args.vocab = 8, 2, 100
        args.repeats = 1
    return args


def decoder_cfg(tiny: bool) -> dict:
    width = 64 if tiny else 512
    return dict(
        type='TransformerTextDecoder',
        memory_dim=width,
        width=width,
        num_layers=3,
        num_heads=8,
        dropout=0.0,
    )


def bench_decode(args) -> None:
    torch.manual_seed(0)
    decoder = MODELS.build(decoder_cfg(args.tiny)).to(args.device).eval()
    with torch.no_grad():
        for name, param in decoder.named_parameters():
            if 'LayerNorm' not in name:
                param.normal_(0, 0.3)
    gen = torch.Generator().manual_seed(1)
    memory = torch.randn(
        args.num_videos, 16, decoder.memory_dim, generator=gen
    ).to(args.device)
    mask = torch.ones(args.num_videos, 16, dtype=torch.long).to(args.device)
    for num_beams in (1, 3):
        outputs = {}
        for batch in (1, 64):

            def run(batch=batch, num_beams=num_beams):
                rows = []
                for start in range(0, args.num_videos, batch):
                    ids = decoder.generate(
                        memory[start : start + batch],
                        mask[start : start + batch],
                        max_length=args.max_length,
                        num_beams=num_beams,
                    )
                    rows += [_cut(r) for r in ids.tolist()]
                return rows

            measure = time_callable(
                run, repeats=args.repeats, warmup=0, device=args.device
            )
            outputs[batch] = measure.result
            tokens = sum(len(r) - 1 for r in measure.result)
            print(
                f'[decode] beam {num_beams}, batch {batch}: '
                f'{args.num_videos / measure.median:.1f} captions/s '
                f'({measure.spread()} for {args.num_videos}, {tokens} '
                f'tokens), peak {measure.memory()}',
                flush=True,
            )
        differ = sum(a != b for a, b in zip(outputs[1], outputs[64]))
        distinct = len({tuple(r) for r in outputs[1]})
        print(
            f'[decode] beam {num_beams}: float32, batch 64 against batch 1: '
            f'{differ} of {args.num_videos} captions differ ({distinct} '
            'distinct captions; random weights leave near-ties between '
            'tokens that the two GEMM paths round differently)'
        )
        same = _identical_in_float64(decoder, memory, mask, num_beams, args)
        print(
            f'[decode] beam {num_beams}: float64, batch 16 identical to '
            f'batch 1 on the first 16 videos: {same}'
        )
        if not same:
            raise SystemExit('batched decoding differs from one at a time')


def _identical_in_float64(decoder, memory, mask, num_beams, args) -> bool:
    """Batched and one-at-a-time decoding of the same videos in float64,
    where rounding no longer breaks near-ties: the check that batching
    itself (padding, beams, caches) changes nothing."""
    decoder = copy.deepcopy(decoder).double()
    memory, mask = memory[:16].double(), mask[:16]

    def generate(start, stop):
        ids = decoder.generate(
            memory[start:stop],
            mask[start:stop],
            max_length=args.max_length,
            num_beams=num_beams,
        )
        return [_cut(r) for r in ids.tolist()]

    with torch.no_grad():
        single = [
            row for i in range(len(memory)) for row in generate(i, i + 1)
        ]
        batched = generate(0, len(memory))
    return single == batched


def _cut(row: list) -> list:
    return row[: row.index(49407) + 1] if 49407 in row else row


def bench_metric(args) -> None:
    rng = random.Random(0)
    words = [f'w{k}' for k in range(3000)]

    def sentence():
        return ' '.join(
            rng.choices(words[:300] * 3 + words, k=9 + rng.randint(-3, 3))
        )

    refs = {
        f'video{v}': [sentence() for _ in range(args.metric_refs)]
        for v in range(args.metric_videos)
    }
    preds = {v: sentence() for v in refs}
    start = time.perf_counter()
    scores = caption_scores(preds, refs)
    seconds = time.perf_counter() - start
    print(
        f'[metric] {args.metric_videos} videos x {args.metric_refs} '
        f'references: {seconds:.1f} s (BLEU-4 {scores["BLEU-4"]:.2f}, '
        f'CIDEr {scores["CIDEr"]:.2f} on random words)',
        flush=True,
    )


def step_models(args) -> dict:
    arch = 'tiny' if args.tiny else 'ViT-B/32'
    width = 64 if args.tiny else 512
    retriever = dict(
        text_encoder=dict(type='CLIPTextTower', arch=arch),
        video_encoder=dict(type='CLIPVisionTower', arch=arch),
        temporal=dict(type='TemporalTransformer', width=width, num_layers=4),
        init_temporal_from_text=not args.tiny,
        head=dict(type='HierarchicalBanzhafHead', embed_dim=width),
    )
    tower = MODELS.get('CLIPTextTower')
    if 'random_init' in inspect.signature(tower).parameters:
        # Full-size towers without weights must be asked for explicitly.
        for name in ('text_encoder', 'video_encoder'):
            retriever[name]['random_init'] = True
    decoder = dict(decoder_cfg(args.tiny), memory_dim=width, dropout=0.1)
    encoder_decoder = dict(
        retriever,
        type='VideoTextEncoderDecoder',
        decoder=decoder,
        task_heads=dict(caption=dict(type='CaptionHead')),
    )
    return {
        'HBI retriever': dict(retriever, type='VideoTextRetriever'),
        'encoder-decoder, full vocabulary': encoder_decoder,
        f'encoder-decoder, {args.vocab} output tokens': encoder_decoder,
    }


def make_batch(args) -> dict:
    gen = torch.Generator().manual_seed(0)
    size = 32 if args.tiny else 224
    ids = torch.randint(1, 40000, (args.batch, 32), generator=gen)
    ids[:, 0], ids[:, -1] = 49406, 49407
    caption = ids[:, :21].clone()
    caption[:, -1] = 49407
    batch = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        frames=torch.randn(args.batch, 12, 3, size, size, generator=gen),
        frame_mask=torch.ones(args.batch, 12, dtype=torch.long),
        caption_input_ids=caption[:, :-1],
        caption_target_ids=caption[:, 1:],
        caption_mask=torch.ones(args.batch, 20, dtype=torch.long),
    )
    return {k: v.to(args.device) for k, v in batch.items()}, caption


def bench_step(args) -> None:
    batch, caption = make_batch(args)
    results = {}
    for kind, cfg in step_models(args).items():
        torch.manual_seed(0)
        model = _build(cfg)
        if 'output tokens' in kind:
            keep = set(caption.flatten().tolist())
            extra = random.Random(0).sample(range(49406), args.vocab)
            model.decoder.restrict_output(sorted(keep | set(extra)))
        model.to(args.device).train()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=1e-4)

        def step(model=model, optimizer=optimizer, params=params):
            optimizer.zero_grad(set_to_none=True)
            loss = sum(model.loss(batch).values())
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            return float(loss.detach())

        measure = time_callable(
            step, repeats=args.repeats, warmup=1, device=args.device
        )
        results[kind] = measure.median
        print(
            f'[step] {kind}: {measure.spread()}, peak {measure.memory()}',
            flush=True,
        )
        del model, optimizer, step
    base = results['HBI retriever']
    for kind, seconds in results.items():
        if kind != 'HBI retriever':
            print(
                f'[step] {kind}: {100 * (seconds / base - 1):+.1f}% over '
                'the retriever step'
            )


def _build(cfg: dict):
    model = MODELS.build(cfg)
    if getattr(model, 'init_temporal_from_text', False):
        model.temporal.init_from_text_tower(model.text_encoder)
    return model


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    init_default_scope('hbi')
    print(f'benchmarks/captioning.py {vars(args)}; {load_note()}')
    parts = dict(decode=bench_decode, metric=bench_metric, step=bench_step)
    for part in args.parts:
        if part not in parts:
            raise SystemExit(
                f'unknown part {part!r}; choose from {list(parts)}'
            )
        parts[part](args)
    print(f'done; {load_note()}')


if __name__ == '__main__':
    main()
