"""Clamp CLIP's learnable temperature after every step (as the release)."""

import math

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hbi.registry import HOOKS


@HOOKS.register_module()
class LogitScaleClampHook(Hook):
    """Keep ``model.logit_scale`` in ``[min_value, max_value]`` after each
    training iteration.

    Args:
        max_value (float): Upper bound of the log inverse temperature.
            Defaults to ln(100).
        min_value (float): Lower bound. Defaults to 0.
    """

    priority = 'LOW'

    def __init__(
        self, max_value: float = math.log(100), min_value: float = 0.0
    ) -> None:
        self.max_value, self.min_value = max_value, min_value

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ) -> None:
        model = (
            runner.model.module
            if is_model_wrapper(runner.model)
            else runner.model
        )
        with torch.no_grad():
            model.logit_scale.clamp_(self.min_value, self.max_value)
