"""VideoQA test loop at MSRVTT-QA size: each video encoded once vs a pair
loop that encodes every question's video with it.

On random frames and questions (already packed, so decoding is left out:
both loops would decode alike or cache) and a randomly initialised QA model
(``VideoQuestionAnswerer``, tiny CLIP towers by default), this times

(a) the standard loop: one item per question (its video and its text), in
    batches of ``--batch``, ``model.test_step`` as mmengine's TestLoop runs
    it; the vision tower and the temporal module run once per QUESTION;
(b) the QA test loop's code (``hbi.engine.runner.qa_loops``): every video
    encoded once (``encode_items``), then the questions in batches, each
    paired with its video's features by index (``answer_questions``).

Both give the same answer to every question (checked on the questions
(a) runs). MSRVTT-QA's test split has 2,990 videos and 72,821 questions
(about 24 per video); by default (a) runs ``--pair-fraction`` of the
questions and its full time is extrapolated and labelled as such.

``python benchmarks/qa_eval.py [--threads 2] [--arch tiny|ViT-B/16]
[--pair-fraction 0.05] [--device cuda]``; a quick check:
``python benchmarks/qa_eval.py --num-videos 20 --num-questions 100``.
"""

import argparse
import os.path as osp
import sys

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _timing import load_note, time_callable  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from hbi.engine.runner.qa_loops import answer_questions  # noqa: E402
from hbi.engine.runner.retrieval_evaluation import encode_items  # noqa
from hbi.registry import MODELS  # noqa: E402
from hbi.structures import VideoTextDataSample  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-videos', type=int, default=2990)
    parser.add_argument('--num-questions', type=int, default=72821)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--words', type=int, default=32)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument(
        '--arch', default='tiny', help="CLIP arch: 'tiny' or 'ViT-B/16'"
    )
    parser.add_argument('--num-answers', type=int, default=1500)
    parser.add_argument(
        '--pair-fraction',
        type=float,
        default=0.05,
        help='share of the questions (a) runs; its time is extrapolated',
    )
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def build_model(args):
    tiny = args.arch == 'tiny'
    width = 64 if tiny else 512
    cfg = dict(
        type='VideoQuestionAnswerer',
        text_encoder=dict(type='CLIPTextTower', arch=args.arch),
        video_encoder=dict(type='CLIPVisionTower', arch=args.arch),
        temporal=dict(
            type='TemporalTransformer',
            width=width,
            num_layers=2 if tiny else 4,
            num_heads=2 if tiny else 8,
        ),
        head=dict(
            type='HierarchicalBanzhafHead',
            embed_dim=width,
            num_heads=4 if tiny else 8,
            text_merge_rates=(0.25, 0.125),
            video_merge_rates=(0.25, 0.25),
            kl=0.0,
        ),
        answer_head=dict(
            type='LevelAnswerHead',
            embed_dim=width,
            num_answers=args.num_answers,
        ),
    )
    torch.manual_seed(0)
    return MODELS.build(cfg).to(args.device).eval()


class PackedItems(Dataset):
    """Packed items (as ``PackVideoTextInputs`` makes them) of random
    videos and questions; question q is about video ``q % num_videos``."""

    def __init__(self, args, image_size: int, modality: str) -> None:
        self.args, self.size, self.modality = args, image_size, modality
        gen = torch.Generator().manual_seed(0)
        self.lengths = torch.randint(
            5, args.words + 1, (args.num_questions,), generator=gen
        )

    def __len__(self) -> int:
        if self.modality == 'video':
            return self.args.num_videos
        return self.args.num_questions

    def _video(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(1000 + index)
        frames = torch.randint(
            0,
            256,
            (self.args.frames, 3, self.size, self.size),
            generator=gen,
            dtype=torch.uint8,
        )
        mask = torch.ones(self.args.frames, dtype=torch.long)
        mask[self.args.frames - index % 4 :] = 0  # some videos are short
        return dict(
            frames=frames * mask[:, None, None, None].byte(), frame_mask=mask
        )

    def _text(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(index)
        n = int(self.lengths[index])
        ids = torch.zeros(self.args.words, dtype=torch.long)
        ids[:n] = torch.randint(1, 49000, (n,), generator=gen)
        ids[0], ids[n - 1] = 49406, 49407
        mask = torch.zeros(self.args.words, dtype=torch.long)
        mask[:n] = 1
        return dict(input_ids=ids, attention_mask=mask)

    def __getitem__(self, index: int) -> dict:
        if self.modality == 'video':
            meta = dict(video_index=index, text_index=-1)
            inputs = self._video(index)
        else:
            video_index = index % self.args.num_videos
            meta = dict(video_index=video_index, text_index=index)
            inputs = self._text(index)
            if self.modality == 'pair':
                inputs.update(self._video(video_index))
        return dict(
            inputs=inputs, data_samples=VideoTextDataSample(metainfo=meta)
        )


def loader(dataset, batch: int, indices=None) -> DataLoader:
    batches = [
        list(range(len(dataset)))[i : i + batch]
        for i in range(0, len(dataset), batch)
    ]
    if indices is not None:
        batches = [
            indices[i : i + batch] for i in range(0, len(indices), batch)
        ]
    return DataLoader(
        dataset, batch_sampler=batches, collate_fn=pseudo_collate
    )


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('hbi')
    print(f'settings: {vars(args)}')
    print(f'load before: {load_note()}', flush=True)
    model = build_model(args)
    size = model.video_encoder.arch['vision']['image_size']

    def encode_once():
        _, video_feats, _ = encode_items(
            model,
            loader(PackedItems(args, size, 'video'), args.batch),
            'video',
        )
        return answer_questions(
            model,
            loader(PackedItems(args, size, 'text'), args.batch),
            video_feats,
        )

    pair_items = PackedItems(args, size, 'pair')
    count = max(args.batch, int(round(args.pair_fraction * len(pair_items))))
    count = min(count, len(pair_items))
    # An evenly spread share of the questions (every video's turn comes).
    step = len(pair_items) / count
    chosen = [int(i * step) for i in range(count)]

    def pair_loop():
        answers = {}
        with torch.no_grad():
            for batch in loader(pair_items, args.batch, chosen):
                for sample in model.test_step(batch):
                    answers[sample.text_index] = sample.pred_answer
        return answers

    once = time_callable(
        encode_once, repeats=args.repeats, warmup=0, device=args.device
    )
    print(
        f'[b] encode each video once: {args.num_videos} videos + '
        f'{args.num_questions} questions: {once.spread()}, '
        f'peak {once.memory()}',
        flush=True,
    )
    pairs = time_callable(
        pair_loop, repeats=args.repeats, warmup=0, device=args.device
    )
    scale = len(pair_items) / count
    full = pairs.median * scale
    label = (
        'measured whole'
        if count == len(pair_items)
        else (f'extrapolated from {count} questions x {scale:.1f}')
    )
    print(
        f'[a] pair loop: {count} questions in {pairs.spread()}; all '
        f'{len(pair_items)}: {full:.1f} s ({label}), peak {pairs.memory()}'
    )
    by_index = {r['text_index']: r['pred_answer'] for r in once.result}
    same = sum(by_index[i] == a for i, a in pairs.result.items())
    print(
        f'same answer on {same} of {len(pairs.result)} questions; speed-up '
        f'(a)/(b) = {full / once.median:.1f}x'
    )
    if same != len(pairs.result):
        raise SystemExit('the two loops disagree')
    print(f'load after: {load_note()}')


if __name__ == '__main__':
    main()
