"""Ask questions about a video: the top-5 answers with their scores.

    python tools/analysis/ask.py CONFIG CHECKPOINT VIDEO \
        "what is the man doing?" ["another question?" ...] \
        [--top-k 5] [--device cpu]

CONFIG is a VideoQA config (its test set gives the frame pipeline and the
answer vocabulary, or --ans2label FILE); CHECKPOINT any layout the runner
reads (hbi's own, the released MSRVTT-QA ``pytorch_model.bin``). The video is
decoded and encoded once for all questions.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

from mmengine.config import DictAction  # noqa: E402

from hbi.apis import VideoQuestionAnswering  # noqa: E402
from hbi.utils import load_config  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('video', help='a video file')
    parser.add_argument('questions', nargs='+', help='one or more questions')
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--ans2label', help='answer vocabulary (json)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys (unknown keys are an error)',
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    asker = VideoQuestionAnswering.from_config(
        cfg, args.checkpoint, args.device, args.ans2label
    )
    answers = asker.ask(args.video, args.questions, args.top_k)
    for question, top in zip(args.questions, answers):
        print(f'Q: {question}')
        for rank, (answer, score) in enumerate(top, 1):
            print(f'  {rank}. {answer:<24s} {score:.4f}')
    return answers


if __name__ == '__main__':
    main()
