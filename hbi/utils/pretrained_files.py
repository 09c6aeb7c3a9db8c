"""Files of pretrained weights that a model reads while it is built.

Training reads them (OpenAI's ``ViT-B-32.pt`` for the towers and the
temperature, the Banzhaf estimator file for HBI's teacher); evaluating a
checkpoint that holds the whole model needs neither. Code that builds a
model only to load such a checkpoint into it (``tools/test.py``,
``VideoSearchIndex.from_config``, the Banzhaf-map tool, the estimator
trainer's frozen retriever) builds it inside :func:`weights_from_checkpoint`:
the parts then skip their files and the "no silently random tower" check,
and the checkpoint's load, which lists every missing or unexpected name,
guarantees that nothing is left at its initialisation.
"""

import contextlib
import os.path as osp
from contextvars import ContextVar
from typing import Iterator

_FROM_CHECKPOINT: ContextVar[bool] = ContextVar(
    'hbi_weights_from_checkpoint', default=False
)


@contextlib.contextmanager
def weights_from_checkpoint() -> Iterator[None]:
    """Build models whose every weight a checkpoint loaded next provides.

    Inside it, CLIP towers do not read ``pretrained``, the retriever does not
    read ``logit_scale`` from its CLIP file and HBI's head does not read its
    ``teacher_checkpoint``; none of these files needs to exist.

    Example:
        >>> with weights_from_checkpoint():
        ...     model = MODELS.build(cfg.model)
        >>> load_model_checkpoint(model, 'pytorch_model.bin')
    """
    token = _FROM_CHECKPOINT.set(True)
    try:
        yield
    finally:
        _FROM_CHECKPOINT.reset(token)


def weights_come_from_checkpoint() -> bool:
    """True inside :func:`weights_from_checkpoint`."""
    return _FROM_CHECKPOINT.get()


def check_pretrained_file(
    path: str, what: str, key: str, where: str, formats: str
) -> None:
    """Raise a ``FileNotFoundError`` that says how to provide ``path``.

    Args:
        path (str): The configured file.
        what (str): What the file is, e.g. ``"OpenAI CLIP ViT-B/32 weights"``.
        key (str): The config key that names it, e.g. ``"model.clip_file"``.
        where (str): Where to get it and put it.
        formats (str): The formats that are read.

    Raises:
        FileNotFoundError: ``path`` is not a file.
    """
    if osp.isfile(path):
        return
    relative = '' if osp.isabs(path) else f' (from {osp.abspath(".")})'
    raise FileNotFoundError(
        f'{what}: file {path!r}{relative} not found; config key {key}.\n'
        f'  Get it: {where}\n'
        f'  Accepted formats: {formats}\n'
        f'  Or point {key} to your copy, e.g. --cfg-options {key}=PATH'
    )
