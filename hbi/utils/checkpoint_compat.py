"""Loading mmengine checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True`` by default, and
mmengine 0.10.7 stores its message hub (``HistoryBuffer`` objects holding
NumPy arrays) in every checkpoint it saves, so ``Runner.resume`` and
``Runner.load_checkpoint`` fail on the project's own files. mmengine cannot be
edited, so the classes are allow-listed here, for trusted loads only:
:func:`trusted_checkpoint_globals` is a context manager used by
:class:`hbi.engine.runner.HBIRunner` around its loads.
"""

import builtins
from contextlib import contextmanager
from typing import Iterator, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _numpy_globals() -> List[object]:
    """NumPy objects that pickled arrays and scalars refer to."""
    core = getattr(np, '_core', None) or np.core
    names = [
        core.multiarray._reconstruct,
        core.multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    # Concrete dtype classes (numpy >= 1.25 pickles them by class).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        names += [
            getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')
        ]
    return names


def mmengine_checkpoint_globals() -> List[object]:
    """Every global an mmengine 0.10.7 checkpoint refers to.

    ``builtins.getattr`` is among them because ``HistoryBuffer`` pickles its
    statistics methods as ``getattr(HistoryBuffer, 'mean')``; that is why these
    are only allowed inside :func:`trusted_checkpoint_globals`, not globally.
    """
    return [HistoryBuffer, builtins.getattr] + _numpy_globals()


@contextmanager
def trusted_checkpoint_globals() -> Iterator[None]:
    """Allow mmengine's checkpoint classes in ``torch.load`` inside the "
    "block."""
    safe_globals = getattr(torch.serialization, 'safe_globals', None)
    if safe_globals is None:  # torch < 2.5 does not load weights-only
        yield
        return
    with safe_globals(mmengine_checkpoint_globals()):
        yield


def allow_mmengine_checkpoint_classes() -> None:
    """Allow the harmless classes (no ``getattr``) process-wide.

    Enough for checkpoints whose message hub is empty; full mmengine
    checkpoints go through :func:`trusted_checkpoint_globals`.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add([HistoryBuffer] + _numpy_globals())
