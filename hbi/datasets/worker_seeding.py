"""A DataLoader ``worker_init_fn`` whose augmentation differs every epoch."""

import random

import numpy as np
import torch
from mmengine.registry import FUNCTIONS  # the Runner looks it up there

#: The name a config uses: ``worker_init_fn=dict(type=WORKER_INIT_FN_NAME)``.
WORKER_INIT_FN_NAME = 'hbi_seed_worker_from_loader'


@FUNCTIONS.register_module(name=WORKER_INIT_FN_NAME)
def seed_worker_from_loader(worker_id: int, **kwargs) -> int:
    """Seed numpy, ``random`` and torch of a DataLoader worker from the seed
    that torch gave this worker.

    Each time an iterator over a DataLoader is created (every epoch, unless
    ``persistent_workers=True``), torch draws a ``base_seed`` from the main
    process's torch RNG and gives worker ``i`` the seed ``base_seed + i``
    (``torch.initial_seed()`` inside the worker). Seeding from it makes the
    random augmentation differ between epochs and workers, while a run
    started with the same ``randomness=dict(seed=...)`` repeats it exactly.

    mmengine's default ``worker_init_fn`` instead seeds every worker with
    ``num_workers * rank + worker_id + seed``, the same values every epoch:
    with non-persistent workers each epoch then replays the first epoch's
    augmentation (same crops, flips, frame jitter for the same index).

    The distributed rank is mixed in so that ranks whose main processes share
    a seed (``diff_rank_seed=False``) still draw different augmentation.

    Use in a config::

        train_dataloader = dict(
            ..., worker_init_fn=dict(type='hbi_seed_worker_from_loader'))

    Note:
        When training resumes, the runner re-seeds the main process, so the
        per-epoch worker seeds restart from those of the first epoch rather
        than continuing the interrupted sequence; a run is reproducible but
        a resumed run is not bit-identical to an uninterrupted one.

    Args:
        worker_id (int): The worker's index (passed by the DataLoader).
        **kwargs: Ignored; accepts mmengine's ``num_workers``/``rank``/``seed``
            and ``disable_subprocess_warning`` for drop-in use.

    Returns:
        int: The 32-bit seed given to numpy and ``random``.
    """
    del worker_id, kwargs  # already folded into torch.initial_seed()
    try:
        from mmengine.dist import get_rank

        rank = get_rank()
    except Exception:  # pragma: no cover - no distributed support at all
        rank = 0
    base = torch.initial_seed()
    seed = int(np.random.SeedSequence([base, rank]).generate_state(1)[0])
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    return seed
