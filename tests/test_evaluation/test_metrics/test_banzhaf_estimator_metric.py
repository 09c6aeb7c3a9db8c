"""BanzhafEstimatorMetric against hand computations."""

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.evaluation.metrics.banzhaf_estimator_metric import (
    BanzhafEstimatorMetric,
)
from hbi.registry import METRICS

init_default_scope('hbi')


def test_mse_and_baseline_by_hand():
    metric = METRICS.build(dict(type='BanzhafEstimatorMetric'))
    assert isinstance(metric, BanzhafEstimatorMetric)
    samples = [
        dict(
            pred_banzhaf=torch.tensor([[1.0, 2.0]]),
            gt_banzhaf=torch.tensor([[0.0, 2.0]]),
        ),
        dict(
            pred_banzhaf=np.array([[3.0], [0.0]]),
            gt_banzhaf=np.array([[1.0], [1.0]]),
        ),
    ]
    metric.process({}, samples)
    out = metric.evaluate(2)
    # errors 1, 0, 2, -1 -> squares 1, 0, 4, 1 -> 6 / 4
    assert out['banzhaf/mse'] == pytest.approx(1.5)
    # labels 0, 2, 1, 1: mean 1, squared deviations 1, 1, 0, 0 -> 0.5
    assert out['banzhaf/baseline_mse'] == pytest.approx(0.5)
    assert out['banzhaf/relative_mse'] == pytest.approx(3.0)
    assert out['banzhaf/num_entries'] == 4


def test_rejects_mismatched_or_missing_maps():
    metric = BanzhafEstimatorMetric()
    with pytest.raises(ValueError, match='differ in shape'):
        metric.process(
            {},
            [
                dict(
                    pred_banzhaf=torch.zeros(2, 3),
                    gt_banzhaf=torch.zeros(3, 2),
                )
            ],
        )
    with pytest.raises(ValueError, match='gt_banzhaf'):
        metric.process({}, [dict(pred_banzhaf=torch.zeros(2, 3))])
