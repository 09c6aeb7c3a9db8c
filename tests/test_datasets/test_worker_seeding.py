"""seed_worker_from_loader: new augmentation every epoch, reproducible."""

import random
from functools import partial

import numpy as np
import torch
from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.registry import FUNCTIONS
from mmengine.runner import Runner
from torch.utils.data import Dataset

from hbi.datasets import WORKER_INIT_FN_NAME, seed_worker_from_loader


class RandomDraws(Dataset):
    """Each item is a draw from numpy, random and torch of the worker."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, idx: int) -> tuple:
        return (
            int(np.random.randint(1 << 30)),
            random.randint(0, 1 << 30),
            int(torch.randint(1 << 30, (1,))),
        )


def _epochs(worker_init_fn: dict, num_epochs: int = 2) -> list:
    torch.manual_seed(123)
    loader = Runner.build_dataloader(
        dict(
            dataset=RandomDraws(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1,
            num_workers=2,
            persistent_workers=False,
            collate_fn=dict(type='default_collate'),
            worker_init_fn=worker_init_fn,
        )
    )
    return [
        [tuple(int(t) for t in batch) for batch in loader]
        for _ in range(num_epochs)
    ]


def test_registered_name_and_mmengine_kwargs():
    assert WORKER_INIT_FN_NAME == 'hbi_seed_worker_from_loader'
    assert FUNCTIONS.get(WORKER_INIT_FN_NAME) is seed_worker_from_loader
    # Accepts the keyword arguments mmengine gives its own worker_init_fn.
    torch.manual_seed(5)
    seed = seed_worker_from_loader(
        0, num_workers=2, rank=0, seed=1, disable_subprocess_warning=True
    )
    assert seed == int(np.random.SeedSequence([5, 0]).generate_state(1)[0])
    draws = (np.random.rand(), random.random(), torch.rand(1).item())
    generator = torch.Generator().manual_seed(seed)
    assert draws == (
        np.random.RandomState(seed).rand(),
        random.Random(seed).random(),
        torch.rand(1, generator=generator).item(),
    )


def test_new_draws_every_epoch_and_reproducible():
    ours = _epochs(dict(type=WORKER_INIT_FN_NAME))
    assert ours[0] != ours[1]
    assert ours == _epochs(dict(type=WORKER_INIT_FN_NAME))
    # Workers 0 and 1 (items 0 and 1) draw differently.
    assert ours[0][0] != ours[0][1]


def test_mmengine_default_repeats_every_epoch():
    """The problem this fixes: mmengine's worker_init_fn seeds the workers
    alike every epoch, so non-persistent workers replay the draws."""
    theirs = _epochs(
        dict(
            type=partial(
                mmengine_worker_init_fn, num_workers=2, rank=0, seed=0
            )
        )
    )
    assert theirs[0] == theirs[1]
