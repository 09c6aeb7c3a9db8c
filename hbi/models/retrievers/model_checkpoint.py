"""Loading any supported checkpoint into a retriever, checked.

Shared by :class:`hbi.engine.runner.HBIRunner` (``load_from``,
``tools/test.py CONFIG CKPT``) and :class:`hbi.apis.VideoSearchIndex`: hbi's
own checkpoints, the released HBI ``pytorch_model.bin`` and CLIP4Clip files
(converted by :func:`convert_foreign_checkpoint`), and OpenAI CLIP files
(towers and ``logit_scale`` only, e.g. for a zero-shot meanP evaluation).
Every load is checked: missing keys, unexpected keys and shape mismatches are
one error listing them all (mmengine's default, ``strict=False``, would only
warn and evaluate a half-random model).
"""

import logging
import re
from typing import Callable, Dict, List, Sequence, Tuple, Union

from mmengine.logging import print_log
from torch import Tensor, nn

from hbi.models.backbones.openai_clip_conversion import (
    load_state_dict_checked,
    read_state_dict,
)
from hbi.utils.checkpoint_files import load_checkpoint_file

from .released_hbi_checkpoint import convert_foreign_checkpoint

DEFAULT_REVISE_KEYS = ((r'^module\.', ''),)


def read_model_checkpoint(
    filename: str,
    map_location: Union[str, Callable] = 'cpu',
    revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS,
) -> Tuple[dict, Dict[str, Tensor], str]:
    """Read ``filename`` and convert its weights to hbi's names.

    Args:
        filename (str): Checkpoint file.
        map_location (str | Callable): As ``torch.load``. Defaults to 'cpu'.
        revise_keys (Sequence[tuple[str, str]]): ``re.sub`` patterns applied
            to every name first. Defaults to stripping ``module.``.

    Returns:
        tuple: ``checkpoint`` (the file's dict; for a foreign layout an
        mmengine-style ``{'state_dict': converted, 'meta': {...}}``),
        ``converted`` (the state dict in hbi's names) and ``layout``
        (``'hbi'``, ``'released_hbi'``, ``'openai_clip'``, ...).

    Raises:
        ValueError: Not a dict checkpoint, an unknown layout, or a file that
            holds only a Banzhaf estimator.
    """
    checkpoint = load_checkpoint_file(filename, map_location)
    # OpenAI's TorchScript archives come back as a ScriptModule.
    if not isinstance(checkpoint, dict) and hasattr(checkpoint, 'state_dict'):
        checkpoint = read_state_dict(filename)
    if not isinstance(checkpoint, dict):
        raise ValueError(
            f'{filename}: expected a dict checkpoint, got '
            f'{type(checkpoint).__name__}'
        )
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise ValueError(f'{filename}: "state_dict" is not a dict')
    for pattern, replacement in revise_keys:
        state_dict = {
            re.sub(pattern, replacement, k): v for k, v in state_dict.items()
        }
    layout, converted = convert_foreign_checkpoint(state_dict)
    if layout == 'estimator':
        raise ValueError(
            f'{filename} holds only a Banzhaf estimator (teacher); give it as '
            'model.head.teacher_checkpoint, not as a model checkpoint'
        )
    if layout != 'hbi':
        checkpoint = dict(
            state_dict=converted,
            meta=dict(source=filename, source_layout=layout),
        )
    return checkpoint, converted, layout


def load_converted_state(
    model: nn.Module, converted: Dict[str, Tensor], layout: str, source: str
) -> None:
    """Load weights from :func:`read_model_checkpoint` into ``model``.

    An OpenAI CLIP file fills the towers and ``logit_scale`` (each tower
    checked); every other layout must match the whole model.

    Raises:
        ValueError: Names or shapes that do not match (all listed).
    """
    if layout != 'openai_clip':
        load_state_dict_checked(model, converted, source=source)
        return
    for name in ('text_encoder', 'video_encoder'):
        part = {
            k[len(name) + 1 :]: v
            for k, v in converted.items()
            if k.startswith(name + '.')
        }
        load_state_dict_checked(getattr(model, name), part, source=source)
    if 'logit_scale' in converted:
        model.logit_scale.data.copy_(converted['logit_scale'])
    others: List[str] = [
        k
        for k in model.state_dict()
        if not k.startswith(('text_encoder.', 'video_encoder.', 'logit_scale'))
    ]
    if others:
        print_log(
            f'{source} is an OpenAI CLIP file: {len(others)} entries outside '
            f'the towers keep their initialisation, e.g. {others[:5]}',
            logger='current',
            level=logging.WARNING,
        )


def load_model_checkpoint(
    model: nn.Module, filename: str, map_location: Union[str, Callable] = 'cpu'
) -> str:
    """:func:`read_model_checkpoint` then :func:`load_converted_state`;
    returns the file's layout."""
    _, converted, layout = read_model_checkpoint(filename, map_location)
    load_converted_state(model, converted, layout, filename)
    return layout
