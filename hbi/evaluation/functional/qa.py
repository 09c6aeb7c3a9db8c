"""VideoQA accuracy under the two protocols in use, answer normalisation,
and the answer-prior baselines."""

import re
import string
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from .text_table import render_text_table

#: Question types reported first, in this order (MSRVTT-QA / MSVD-QA's);
#: other types (e.g. the synthetic world's 'which') follow alphabetically.
QUESTION_TYPES = ('what', 'who', 'how', 'when', 'where')
#: The two protocols: metric-key suffix -> the name printed in tables.
PROTOCOLS = {
    '': 'all questions, out-of-vocabulary answers wrong (standard)',
    '_excl_oov': 'out-of-vocabulary questions left out (HBI/EMCL loaders)',
}
_ARTICLES = re.compile(r'\b(a|an|the)\b')
_PUNCTUATION = str.maketrans('', '', string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, punctuation and the articles a / an / the removed,
    whitespace collapsed (the usual exact-match normalisation)."""
    text = text.lower().translate(_PUNCTUATION)
    return ' '.join(_ARTICLES.sub(' ', text).split())


def qa_accuracy(
    pred: Sequence[int],
    gt: Sequence[int],
    answer_types: Optional[Sequence[str]] = None,
    correct: Optional[Sequence[bool]] = None,
) -> Dict[str, float]:
    """Accuracy in percent, overall and per question type, both protocols.

    - ``acc`` (the standard): over every question; an answer outside the
      training vocabulary (``gt`` = -1) can never be predicted, so it counts
      as wrong.
    - ``acc_excl_oov``: over the questions whose answer is in the
      vocabulary only (what the HBI and EMCL QA loaders evaluate: they drop
      the others when reading the file), which is higher.

    Args:
        pred (Sequence[int]): Predicted answer indices, shape (N,).
        gt (Sequence[int]): Ground-truth indices, -1 if out of vocabulary.
        answer_types (Sequence[str], optional): Type of each question
            (e.g. 'what', 'who'); adds ``acc/<type>`` and
            ``acc_excl_oov/<type>``.
        correct (Sequence[bool], optional): Whether each answer is right,
            when it is not ``pred == gt`` (open-ended answers compared as
            normalised text). Defaults to None.

    Returns:
        dict: ``acc``, ``acc_excl_oov``, their ``/<type>`` entries,
        ``oov_rate`` (percent of questions whose answer is outside the
        vocabulary), ``num_questions`` and ``num_oov``.
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 1 or not len(pred):
        raise ValueError(
            'pred and gt must be non-empty 1-D arrays of equal '
            f'length, got {pred.shape} and {gt.shape}'
        )
    known = gt >= 0
    if correct is None:
        right = (pred == gt) & known
    else:
        right = np.asarray(correct, dtype=bool)
        if right.shape != gt.shape:
            raise ValueError(
                f'correct has shape {right.shape}, expected {gt.shape}'
            )
    out = dict(
        acc=_percent(right),
        acc_excl_oov=_percent(right[known]),
        oov_rate=_percent(~known),
        num_questions=float(len(gt)),
        num_oov=float((~known).sum()),
    )
    if answer_types is not None:
        types = np.asarray(answer_types)
        if types.shape != gt.shape:
            raise ValueError(
                f'answer_types has shape {types.shape}, expected {gt.shape}'
            )
        for t in ordered_types(types.tolist()):
            of_type = types == t
            out[f'acc/{t}'] = _percent(right[of_type])
            out[f'acc_excl_oov/{t}'] = _percent(right[of_type & known])
    return out


def _percent(flags: np.ndarray) -> float:
    # An empty group (e.g. every 'where' answer out of vocabulary) is nan.
    return float(flags.mean() * 100) if len(flags) else float('nan')


def ordered_types(types: Sequence[str]) -> List[str]:
    """The distinct types: :data:`QUESTION_TYPES` first, then the others
    alphabetically."""
    present = set(types)
    known = [t for t in QUESTION_TYPES if t in present]
    return known + sorted(present - set(known))


def format_qa_table(metrics: Mapping[str, float]) -> str:
    """Both protocols as one table: a row each, columns overall and per
    question type (``n`` = questions counted).

    Args:
        metrics (Mapping[str, float]): Output of :func:`qa_accuracy`,
            possibly with a ``qa/`` prefix on every key.

    Returns:
        str: The table without a trailing newline.
    """
    plain = {
        k.split('/', 1)[1] if k.startswith('qa/') else k: v
        for k, v in metrics.items()
    }
    types = ordered_types(
        [k.split('/', 1)[1] for k in plain if k.startswith('acc/')]
    )
    lines = [['protocol', 'n', 'acc'] + types]
    total, oov = plain.get('num_questions'), plain.get('num_oov', 0.0)
    for suffix, name in PROTOCOLS.items():
        counted = (
            '-'
            if total is None
            else (f'{total:.0f}' if not suffix else f'{total - oov:.0f}')
        )
        cells = [plain.get(f'acc{suffix}')] + [
            plain.get(f'acc{suffix}/{t}') for t in types
        ]
        lines.append(
            [name, counted] + ['-' if c is None else f'{c:.1f}' for c in cells]
        )
    return render_text_table(lines, num_left=1)


def format_qa_rows(rows: Mapping[str, Mapping[str, float]]) -> str:
    """Several models' accuracy (standard protocol) as one table: a row
    per model, columns overall and per question type.

    Args:
        rows (Mapping[str, Mapping[str, float]]): Row name -> metrics of
            :func:`qa_accuracy` (optionally ``qa/``-prefixed).

    Returns:
        str: The table without a trailing newline.
    """
    plain = {
        name: {
            k.split('/', 1)[1] if k.startswith('qa/') else k: v
            for k, v in metrics.items()
        }
        for name, metrics in rows.items()
    }
    types = ordered_types(
        [
            k.split('/', 1)[1]
            for metrics in plain.values()
            for k in metrics
            if k.startswith('acc/')
        ]
    )
    lines = [['model', 'acc'] + types]
    for name, metrics in plain.items():
        cells = [metrics.get('acc')] + [metrics.get(f'acc/{t}') for t in types]
        lines.append(
            [name] + ['-' if c is None else f'{c:.1f}' for c in cells]
        )
    return render_text_table(lines, num_left=1)


def prior_answers(
    train_questions: Sequence[str],
    train_answers: Sequence[str],
    questions: Sequence[str],
) -> Dict[str, List[str]]:
    """Answers of two baselines that never look at the video.

    - ``majority``: the most frequent training answer, for every question;
    - ``question_only``: the most frequent training answer of the same
      (normalised) question text, the majority answer for an unseen one.

    Ties go to the answer seen first in the training order, so the result
    is deterministic.

    Args:
        train_questions (Sequence[str]): Training questions.
        train_answers (Sequence[str]): Their answers.
        questions (Sequence[str]): The questions to answer.

    Returns:
        dict[str, list[str]]: The predicted answer per question, per
        baseline.
    """
    if len(train_questions) != len(train_answers) or not train_answers:
        raise ValueError(
            'prior_answers: needs as many training answers as questions '
            f'(and at least one), got {len(train_answers)} and '
            f'{len(train_questions)}'
        )
    majority = Counter(train_answers).most_common(1)[0][0]
    by_question: Dict[str, Counter] = {}
    for question, answer in zip(train_questions, train_answers):
        by_question.setdefault(normalize_answer(question), Counter())[
            answer
        ] += 1
    question_only = [
        by_question[q].most_common(1)[0][0] if q in by_question else majority
        for q in map(normalize_answer, questions)
    ]
    return dict(
        majority=[majority] * len(questions), question_only=question_only
    )
