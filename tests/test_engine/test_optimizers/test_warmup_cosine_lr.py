"""WarmupCosineLR: the release's warmup_cosine, checked against values
computed by hand."""

import math

import pytest
import torch

import hbi.engine  # noqa: F401  (registers WarmupCosineLR)
from hbi.engine.optimizers import WarmupCosineLR, warmup_cosine_factor
from hbi.registry import PARAM_SCHEDULERS


def make_optimizer():
    params = [
        torch.nn.Parameter(torch.zeros(2)),
        torch.nn.Parameter(torch.zeros(2)),
    ]
    return torch.optim.SGD(
        [dict(params=[params[0]], lr=0.1), dict(params=[params[1]], lr=1e-4)],
        lr=0.1,
    )


# step s of 20, warm-up 0.1: x = s / 20.
HAND = {
    0: 0.0,  # the release's first step has factor 0
    1: 0.5,  # x = 0.05 < 0.1: 0.05 / 0.1
    2: 0.9755282581475768,  # x = 0.1: 0.5 (1 + cos(0.1 pi))
    10: 0.5,  # x = 0.5: 0.5 (1 + cos(pi / 2))
    19: 0.006155829702431115,  # x = 0.95: 0.5 (1 + cos(0.95 pi))
}


def test_factor_by_hand():
    for step, factor in HAND.items():
        assert warmup_cosine_factor(step / 20, 0.1) == pytest.approx(
            factor, abs=1e-12
        )


def test_scheduler_steps_through_the_hand_values():
    optimizer = make_optimizer()
    scheduler = PARAM_SCHEDULERS.build(
        dict(
            type='WarmupCosineLR', warmup=0.1, begin=0, end=20, by_epoch=False
        ),
        default_args=dict(optimizer=optimizer),
    )
    seen = {}
    for step in range(20):
        seen[step] = [g['lr'] for g in optimizer.param_groups]
        optimizer.step()
        scheduler.step()
    for step, factor in HAND.items():
        assert seen[step][0] == pytest.approx(0.1 * factor, abs=1e-12)
        assert seen[step][1] == pytest.approx(1e-4 * factor, abs=1e-15)
    # the jump after the warm-up (no restart of the cosine)
    assert seen[1][0] < seen[2][0] < 0.1
    assert seen[3][0] == pytest.approx(
        0.1 * 0.5 * (1 + math.cos(math.pi * 0.15))
    )


def test_epoch_config_converts_to_iterations():
    optimizer = make_optimizer()
    scheduler = WarmupCosineLR.build_iter_from_epoch(
        optimizer, warmup=0.1, begin=0, end=2, by_epoch=True, epoch_length=10
    )
    assert (scheduler.begin, scheduler.end, scheduler.by_epoch) == (
        0,
        20,
        False,
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match='end must be given'):
        WarmupCosineLR(make_optimizer(), warmup=0.1, by_epoch=False)
    with pytest.raises(ValueError, match='warmup must be in'):
        WarmupCosineLR(make_optimizer(), warmup=1.5, end=10, by_epoch=False)
