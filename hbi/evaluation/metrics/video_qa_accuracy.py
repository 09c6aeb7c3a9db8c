"""mmengine metric wrapping :func:`hbi.evaluation.functional.qa_accuracy`."""

from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from hbi.evaluation.functional.qa import qa_accuracy
from hbi.registry import METRICS


@METRICS.register_module()
class VideoQAAccuracy(BaseMetric):
    """Answer accuracy of VideoQA models.

    Reads ``pred_answer`` and ``gt_answer`` (-1: answer outside the
    vocabulary, always wrong) and, when present, ``answer_type`` of each
    predicted data sample.

    Args:
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to None.
    """

    default_prefix = 'qa'

    def __init__(
        self, collect_device: str = 'cpu', prefix: Optional[str] = None
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            get = (
                sample.get
                if isinstance(sample, dict)
                else lambda k, s=sample: getattr(s, k, None)
            )
            self.results.append(
                (
                    int(get('pred_answer')),
                    int(get('gt_answer')),
                    get('answer_type'),
                )
            )

    def compute_metrics(self, results: List) -> Dict[str, float]:
        pred, gt, types = zip(*results)
        return qa_accuracy(
            pred, gt, None if any(t is None for t in types) else types
        )
