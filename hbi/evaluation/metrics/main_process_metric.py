"""A metric whose results are all processed on rank 0."""

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric


class MainProcessMetric(BaseMetric):
    """:class:`BaseMetric` for loops that hand every result to rank 0.

    The retrieval and QA loops gather what they computed on rank 0 and
    process it there only; mmengine's ``collect_results`` zips the ranks'
    lists, which would drop rank 0's results when the other ranks have none.
    So nothing is collected: :meth:`evaluate` computes on rank 0 and
    broadcasts the metrics.
    """

    def evaluate(self, size: int) -> dict:
        """Compute the metrics on rank 0 and broadcast them.

        Args:
            size (int): Ignored (rank 0 holds every result).

        Returns:
            dict: The metrics, with ``prefix`` prepended if set.
        """
        if is_main_process():
            _metrics = self.compute_metrics(self.results)
            if self.prefix:
                _metrics = {
                    f'{self.prefix}/{k}': v for k, v in _metrics.items()
                }
            metrics = [_metrics]
        else:
            metrics = [None]
        broadcast_object_list(metrics)
        self.results.clear()
        return metrics[0]
