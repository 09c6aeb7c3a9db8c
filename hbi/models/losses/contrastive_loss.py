"""Symmetric InfoNCE over a text-video similarity matrix."""

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from hbi.registry import MODELS


def symmetric_info_nce(sim: Tensor, logit_scale: Tensor) -> Tensor:
    """½ (CE over rows + CE over columns) of ``exp(logit_scale) · sim``.

    Args:
        sim (Tensor): [N, N] similarities; pair ``(a, a)`` is the positive.
        logit_scale (Tensor): scalar, log of the inverse temperature.

    Returns:
        Tensor: scalar loss.
    """
    if sim.dim() != 2 or sim.shape[0] != sim.shape[1]:
        raise ValueError(f'sim must be square [N, N], got {tuple(sim.shape)}')
    logits = sim * logit_scale.exp()
    target = torch.arange(sim.shape[0], device=sim.device)
    return 0.5 * (
        F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)
    )


@MODELS.register_module()
class SymmetricInfoNCELoss(BaseModule):
    """Module form of :func:`symmetric_info_nce` with a loss weight.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, sim: Tensor, logit_scale: Tensor) -> Tensor:
        return self.loss_weight * symmetric_info_nce(sim, logit_scale)
