"""Make each training epoch's randomness a function of (seed, epoch, rank)."""

import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from hbi.registry import HOOKS


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 32-bit seed derived from the run's seed, the epoch and the rank."""
    return int(
        np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0]
    )


@HOOKS.register_module()
class EpochSeedingHook(Hook):
    """Reseed Python, NumPy and torch at the start of every training epoch
    and tell the dataset the epoch.

    mmengine seeds once, at start-up, and does not store RNG states in
    checkpoints, so a resumed run would draw different data-loader seeds,
    augmentations and caption choices than the uninterrupted run (and
    validation, which also consumes random numbers, would shift the training
    stream). Seeding from ``(seed, epoch, rank)`` makes every epoch's random
    stream independent of what ran before, so resuming from an epoch
    checkpoint reproduces the uninterrupted run exactly. Datasets with a
    ``set_epoch(epoch)`` method (per-epoch caption sampling) are told the
    epoch too.
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = runner.seed if runner.seed is not None else 0
        s = epoch_seed(seed, runner.epoch, get_rank())
        random.seed(s)
        np.random.seed(s)
        torch.manual_seed(s)
        dataset = runner.train_dataloader.dataset
        if hasattr(dataset, 'set_epoch'):
            dataset.set_epoch(runner.epoch)
