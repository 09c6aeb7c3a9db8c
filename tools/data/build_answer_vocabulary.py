"""Write a VideoQA answer vocabulary: the most frequent training answers.

    python tools/data/build_answer_vocabulary.py \
        data/msvd/annotations/qa/train.jsonl \
        data/msvd/annotations/qa/train_ans2label.json --top-k 1000

Answers are ranked by how many training questions have them, ties broken
alphabetically (so the file does not depend on the order of the lines), and
the first ``--top-k`` get the indices 0..k-1 in that order. MSVD-QA uses the
1,000 most frequent training answers; MSRVTT-QA's released
``train_ans2label.json`` holds 1,500. The share of training questions whose
answer is kept is printed.
"""

import argparse
import json
import os
import os.path as osp
import sys
from collections import Counter
from typing import Dict

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

from hbi.datasets.annotation_io import read_jsonl  # noqa: E402


def build_vocabulary(train_file: str, top_k: int) -> Dict[str, int]:
    """``{answer: index}`` of the ``top_k`` most frequent answers.

    Raises:
        ValueError: If ``top_k`` < 1, or (naming the file and line) a line
            without an answer.
    """
    if top_k < 1:
        raise ValueError(f'--top-k must be >= 1, got {top_k}')
    counts = Counter(
        str(r['answer']) for r in read_jsonl(train_file, ('answer',))
    )
    ranked = sorted(counts, key=lambda a: (-counts[a], a))[:top_k]
    return {answer: index for index, answer in enumerate(ranked)}


def main(argv=None) -> Dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('train_file', help='training questions (.jsonl)')
    parser.add_argument('out', help='the vocabulary to write (.json)')
    parser.add_argument('--top-k', type=int, default=1000)
    args = parser.parse_args(argv)
    vocabulary = build_vocabulary(args.train_file, args.top_k)
    answers = [r['answer'] for r in read_jsonl(args.train_file)]
    kept = sum(str(a) in vocabulary for a in answers)
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(vocabulary, f, ensure_ascii=False)
    print(
        f'{len(vocabulary)} answers -> {args.out}; they answer {kept} of '
        f'{len(answers)} training questions ({100 * kept / len(answers):.1f}%)'
    )
    return vocabulary


if __name__ == '__main__':
    main()
