"""mmengine metric wrapping :func:`hbi.evaluation.functional.qa_accuracy`."""

from typing import Any, Dict, List, Optional, Sequence

from mmengine.logging import print_log

from hbi.evaluation.functional.qa import (
    format_qa_table,
    normalize_answer,
    qa_accuracy,
)
from hbi.registry import METRICS

from .main_process_metric import MainProcessMetric


def _field(sample: Any, key: str) -> Any:
    if isinstance(sample, dict):
        return sample.get(key)
    return getattr(sample, key, None)


@METRICS.register_module()
class VideoQAAccuracy(MainProcessMetric):
    """Answer accuracy of VideoQA models, both protocols side by side.

    Reads, per question, ``gt_answer`` (-1: answer outside the vocabulary)
    and ``pred_answer`` (an index), or, for open-ended answers,
    ``pred_text`` compared with the true ``answer`` after
    :func:`normalize_answer`; and ``answer_type`` when present. The QA loops
    process every question on rank 0 (see :class:`MainProcessMetric`).
    The metrics (``qa/acc``, ``qa/acc_excl_oov``, ``qa/acc/<type>`` ...) are
    logged as one table naming both protocols.

    Args:
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to None ('qa').
    """

    default_prefix = 'qa'

    def __init__(
        self, collect_device: str = 'cpu', prefix: Optional[str] = None
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            gt = int(_field(sample, 'gt_answer'))
            pred_text = _field(sample, 'pred_text')
            if pred_text is not None:
                answer = _field(sample, 'answer')
                if answer is None:
                    raise ValueError(
                        'VideoQAAccuracy: an open-ended prediction '
                        '(pred_text) needs the true answer text (answer)'
                    )
                correct = normalize_answer(pred_text) == normalize_answer(
                    answer
                )
                pred = -1
            else:
                pred = int(_field(sample, 'pred_answer'))
                correct = pred == gt and gt >= 0
            self.results.append(
                (pred, gt, _field(sample, 'answer_type'), correct)
            )

    def compute_metrics(self, results: List) -> Dict[str, float]:
        pred, gt, types, correct = zip(*results)
        metrics = qa_accuracy(
            pred,
            gt,
            None if any(t is None for t in types) else types,
            correct,
        )
        print_log(
            'Video QA accuracy (%)\n' + format_qa_table(metrics),
            logger='current',
        )
        return metrics
