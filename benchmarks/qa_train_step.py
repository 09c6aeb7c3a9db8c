"""One training step of the released HBI QA model (ViT-B/16, batch 8).

Builds ``VideoQuestionAnswerer`` as the released MSRVTT-QA recipe
(``configs/_base_/models/hbi-qa_vit-base-p16.py``: ViT-B/16, seqTransf with
4 blocks, three levels, 1,500 answers) with random weights and a random
Banzhaf teacher (so every term of the objective runs), and times forward
(``loss``) + backward + AdamW (clip 1.0) on one batch of ``--batch``
questions (12 frames of 224 px, 32 words): median of ``--repeats`` runs
after one warm-up, peak memory as ``_timing.py`` measures it. It also
times the answer head alone (forward + backward of ``LevelAnswerHead.loss``
on the encoded features), its share of the step.

``python benchmarks/qa_train_step.py [--batch 8] [--threads 2] [--repeats 2]
[--device cuda] [--amp bf16]``; a quick check: ``--arch tiny --batch 2``.
"""

import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, start_benchmark, time_callable  # noqa: E402
from train_step import build_step, make_batch  # noqa: E402

from hbi.registry import MODELS  # noqa: E402
from hbi.structures import VideoTextDataSample  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL = osp.join(ROOT, 'configs/_base_/models/hbi-qa_vit-base-p16.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--words', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument(
        '--arch', default='ViT-B/16', help="'ViT-B/16' (released) or 'tiny'"
    )
    parser.add_argument('--teacher', default='/tmp/hbi_bench_teacher.pth')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp', default='off', choices=['off', 'fp16', 'bf16']
    )
    return parser.parse_args()


def model_cfg(args) -> dict:
    cfg = Config.fromfile(MODEL).model.to_dict()
    # Random weights, no CLIP file (a timing needs none).
    cfg['clip_file'] = None
    for tower in ('text_encoder', 'video_encoder'):
        cfg[tower].update(arch=args.arch, pretrained=None, random_init=True)
    cfg['head']['teacher_checkpoint'] = args.teacher
    if args.arch == 'tiny':
        cfg['temporal'].update(width=64, num_layers=2, num_heads=2)
        cfg['head'].update(embed_dim=64, num_heads=4)
        cfg['answer_head']['embed_dim'] = 64
    return cfg


def main() -> None:
    args = parse_args()
    start_benchmark(args, random_teacher=True)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(args))
    size = model.video_encoder.arch['vision']['image_size']
    batch = make_batch(args, size)
    samples = []
    for i in range(args.batch):
        sample = VideoTextDataSample()
        sample.set_field(i % model.num_answers, 'gt_answer', field_type='data')
        samples.append(sample)
    device = torch.device(args.device)
    amp_dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(args.amp)
    step = build_step(model, batch, device, amp_dtype, samples)
    measure = time_callable(
        step, repeats=args.repeats, warmup=1, device=args.device
    )
    print(
        f'[step] released HBI QA, {args.arch}, batch {args.batch}: '
        f'{measure.spread()}, peak {measure.memory()}',
        flush=True,
    )
    with torch.no_grad():
        text = model.encode_text(batch['input_ids'], batch['attention_mask'])
        video = model.encode_video(batch['frames'], batch['frame_mask'])
    text = {
        k: v.detach().requires_grad_(v.is_floating_point())
        for k, v in text.items()
    }
    gt = torch.arange(args.batch, device=device) % model.num_answers

    def head_step():
        losses = model.answer_head.loss(text, video, gt)
        sum(losses.values()).backward()

    head = time_callable(
        head_step, repeats=max(args.repeats, 3), warmup=1, device=args.device
    )
    print(
        f'[head] answer head alone (3 levels, forward + backward): '
        f'{head.spread()} = {100 * head.median / measure.median:.1f}% of '
        'the step'
    )
    print(f'load after: {load_note()}')


if __name__ == '__main__':
    main()
