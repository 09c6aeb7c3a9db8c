"""VideoQA accuracy over an answer vocabulary."""

from typing import Dict, Optional, Sequence

import numpy as np


def qa_accuracy(
    pred: Sequence[int],
    gt: Sequence[int],
    answer_types: Optional[Sequence[str]] = None,
) -> Dict[str, float]:
    """Accuracy in percent, overall and per answer type.

    A ground truth of -1 (an answer outside the training vocabulary, as in
    MSRVTT-QA's protocol) can never be predicted, so it counts as wrong.

    Args:
        pred (Sequence[int]): Predicted answer indices, shape (N,).
        gt (Sequence[int]): Ground-truth indices, -1 if out of vocabulary.
        answer_types (Sequence[str], optional): Type of each question
            (e.g. 'what', 'who'); adds ``acc/<type>`` entries.

    Returns:
        dict: ``acc``, ``acc/<type>``... and ``oov_rate`` (percent of
        questions whose answer is outside the vocabulary).
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 1 or not len(pred):
        raise ValueError(
            'pred and gt must be non-empty 1-D arrays of equal '
            f'length, got {pred.shape} and {gt.shape}'
        )
    correct = (pred == gt) & (gt >= 0)
    out = dict(
        acc=float(correct.mean() * 100), oov_rate=float((gt < 0).mean() * 100)
    )
    if answer_types is not None:
        types = np.asarray(answer_types)
        if types.shape != gt.shape:
            raise ValueError(
                f'answer_types has shape {types.shape}, expected {gt.shape}'
            )
        for t in sorted(set(types.tolist())):
            out[f'acc/{t}'] = float(correct[types == t].mean() * 100)
    return out
