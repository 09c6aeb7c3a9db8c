"""Before training: do the train set's items carry what the extra losses
need?"""

import logging

from mmengine.logging import print_log
from torch import nn


def _describe(dataset) -> str:
    files = [
        getattr(dataset, name, '')
        for name in ('ann_file', 'list_file', 'segment_file')
    ]
    return f'{type(dataset).__name__}({", ".join(f for f in files if f)})'


def check_extra_loss_inputs(model: nn.Module, dataset) -> None:
    """Compare the side inputs the model's extra losses declare with those
    the training dataset provides.

    Args:
        model (nn.Module): The (unwrapped) model; only its
            ``extra_losses`` are read.
        dataset: The training dataset; one without
            ``provided_side_inputs`` (a wrapper) is not checked.

    Raises:
        ValueError: A loss's ``required_inputs`` that the dataset does not
            provide, naming the loss, the input and the dataset.
    """
    losses = list(getattr(model, 'extra_losses', ()))
    if not losses or not hasattr(dataset, 'provided_side_inputs'):
        return
    provided = dataset.provided_side_inputs()
    for loss in losses:
        name = type(loss).__name__
        missing = [n for n in loss.required_inputs if n not in provided]
        if missing:
            raise ValueError(
                f'extra loss {name} needs the side inputs {missing}, which '
                f'the train dataset {_describe(dataset)} does not provide '
                f'(it provides {sorted(provided)}); add the transforms that '
                'make them to its pipeline (see docs/en/methods/)'
            )
        absent = [n for n in loss.optional_inputs if n not in provided]
        if absent:
            print_log(
                f'{name}: the train dataset {_describe(dataset)} provides no '
                f'{absent} (no timestamped segments, or no segment sampling '
                'in its pipeline), so the terms that need them are off.',
                logger='current',
                level=logging.WARNING,
            )
