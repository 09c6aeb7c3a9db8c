"""Reading checkpoint files with errors that say what the file is, and
writing them atomically.

``torch.load`` on a file that is not a checkpoint fails with messages that
do not help or mislead: random bytes give "Weights only load failed ...
Re-running torch.load with weights_only set to False will likely succeed"
(unsafe advice: it would execute whatever the file holds), a text file gives
``KeyError: 101``. :func:`check_checkpoint_file` looks at the file first, and
:func:`load_checkpoint_file` turns torch's errors into one that names the
file and never suggests an unsafe load.
"""

import os
import os.path as osp
import pickle
import re
import zipfile
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Union

from mmengine.runner.checkpoint import _load_checkpoint

from .checkpoint_compat import trusted_checkpoint_globals


class CheckpointFileError(ValueError):
    """A file that is not a (complete, loadable) PyTorch checkpoint."""


def check_checkpoint_file(path: str) -> None:
    """Raise unless ``path`` looks like what ``torch.save`` writes: a zip
    archive (torch >= 1.6, TorchScript) or a pickle (the legacy format).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointFileError: Naming the file: empty, a truncated archive, or
            not a PyTorch checkpoint at all (with its first bytes).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    size = osp.getsize(path)
    if size == 0:
        raise CheckpointFileError(f'{path} is empty (0 bytes)')
    with open(path, 'rb') as f:
        head = f.read(8)
    if head.startswith(b'PK\x03\x04'):
        if not zipfile.is_zipfile(path):
            raise CheckpointFileError(
                f'{path} is a truncated or damaged checkpoint: the archive '
                f'has no end ({size} bytes; e.g. a disk that filled up while '
                'it was written)'
            )
        return
    if head[:1] == b'\x80':  # pickle protocol 2+, the legacy format
        return
    raise CheckpointFileError(
        f'{path} is not a PyTorch checkpoint: it starts with {head!r}, not '
        'with a zip archive or a pickle as torch.save writes'
    )


@contextmanager
def checkpoint_errors(path: str) -> Iterator[None]:
    """Re-raise torch's load errors inside the block as
    :class:`CheckpointFileError` naming ``path`` (without torch's text,
    which recommends ``weights_only=False``)."""
    try:
        yield
    except pickle.UnpicklingError as e:
        found = re.search(r'Unsupported global: GLOBAL ([\w.]+)', str(e))
        if found:
            raise CheckpointFileError(
                f'{path} holds Python objects that a safe (weights-only) '
                f'load refuses, e.g. {found.group(1)}: it is not a '
                'checkpoint written by hbi, mmengine or the released '
                'models, and it is not loaded'
            ) from None
        raise CheckpointFileError(
            f'{path} is not a readable PyTorch checkpoint (the pickle inside '
            'is damaged)'
        ) from None
    except (EOFError, RuntimeError) as e:
        if isinstance(e, RuntimeError) and not re.search(
            'PytorchStreamReader|zip archive|corrupt', str(e)
        ):
            raise  # not about the file (e.g. a device mismatch)
        reason = str(e).split('.')[0]
        raise CheckpointFileError(
            f'{path} is damaged or truncated ({type(e).__name__}: {reason})'
        ) from None


def load_checkpoint_file(
    path: str, map_location: Union[str, Callable] = 'cpu'
) -> Any:
    """``mmengine.runner.checkpoint._load_checkpoint`` (weights only, with
    mmengine's own classes allowed) after :func:`check_checkpoint_file` for
    a local file, with :func:`checkpoint_errors`."""
    if '://' not in path:
        check_checkpoint_file(path)
    with checkpoint_errors(path), trusted_checkpoint_globals():
        return _load_checkpoint(path, map_location=map_location)


@contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """A temporary name beside ``path`` to write to; renamed to ``path``
    when the block succeeds, removed when it fails (so a full disk never
    leaves a truncated ``path`` behind)."""
    folder, name = osp.split(path)
    tmp = osp.join(folder, f'.{name}.{os.getpid()}.tmp')
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
