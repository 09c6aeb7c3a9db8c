"""Held-out quality of the Banzhaf estimator (teacher) against its labels."""

from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from hbi.registry import METRICS


@METRICS.register_module()
class BanzhafEstimatorMetric(BaseMetric):
    """MSE of the estimator's maps against the Monte-Carlo Banzhaf labels.

    Each data sample carries ``pred_banzhaf`` (the estimator's map) and
    ``gt_banzhaf`` (the Monte-Carlo labels), both over the pair's real
    (word, frame) entries (``BanzhafEstimatorTrainer.predict``). Entries of
    all pairs are pooled:

    - ``banzhaf/mse``: mean of (pred - gt)^2 over all entries;
    - ``banzhaf/baseline_mse``: the same for the trivial constant predictor,
      the mean label of the evaluated entries (= their variance; the best
      constant there, so an optimistic baseline);
    - ``banzhaf/relative_mse``: mse / baseline_mse (1 - R^2; below 1 means the
      estimator beats the constant);
    - ``banzhaf/num_entries``.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): mmengine metric prefix. Defaults to None.
    """

    default_prefix = 'banzhaf'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, gt = sample.get('pred_banzhaf'), sample.get('gt_banzhaf')
            if pred is None or gt is None:
                raise ValueError(
                    'BanzhafEstimatorMetric: every data sample '
                    'needs pred_banzhaf and gt_banzhaf (use '
                    'BanzhafEstimatorTrainer)'
                )
            pred, gt = (
                torch.as_tensor(x).detach().cpu().double().numpy()
                for x in (pred, gt)
            )
            if pred.shape != gt.shape:
                raise ValueError(
                    f'BanzhafEstimatorMetric: pred_banzhaf '
                    f'{pred.shape} and gt_banzhaf {gt.shape} '
                    'differ in shape'
                )
            self.results.append((pred.ravel(), gt.ravel()))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        pred = np.concatenate([r[0] for r in results])
        gt = np.concatenate([r[1] for r in results])
        if gt.size == 0:
            raise ValueError('BanzhafEstimatorMetric: no entries to evaluate')
        mse = float(np.mean((pred - gt) ** 2))
        baseline = float(np.mean((gt - gt.mean()) ** 2))
        return dict(
            mse=mse,
            baseline_mse=baseline,
            relative_mse=mse / baseline if baseline > 0 else float('inf'),
            num_entries=int(gt.size),
        )
