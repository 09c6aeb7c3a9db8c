"""Banzhaf Interaction distillation loss (``docs/en/methods/hbi.md`` A9)."""

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from hbi.registry import MODELS


def softmax_kl_divergence(
    input_logits: Tensor, target_logits: Tensor
) -> Tensor:
    """``KL(softmax(target) || softmax(input))`` over the last axis, averaged
    over EVERY element.

    This is the release's ``KL()(input, target)``, i.e.
    ``F.kl_div(log_softmax(input), softmax(target), reduction='mean')``:
    the element-wise terms ``p_t * (log p_t - log p_in)`` are summed and
    divided by the total number of elements (e.g. B*Lt*Lv for a (B, Lt, Lv)
    input), not by the number of rows (that would be ``'batchmean'``, the true
    mean KL per row). Computed explicitly because torch warns that ``'mean'``
    will change meaning, and with the target's log-probabilities from
    ``log_softmax``: where a target probability underflows to 0 (large
    logits, e.g. answer logits) ``kl_div``'s gradient to a non-detached target
    is NaN (0 * log 0); here it is 0, the value being the same.

    Args:
        input_logits (Tensor): Student logits, any shape (..., C).
        target_logits (Tensor): Target logits, same shape.

    Returns:
        Tensor: Scalar.
    """
    if input_logits.shape != target_logits.shape:
        raise ValueError(
            'softmax_kl_divergence: input and target shapes '
            f'differ: {tuple(input_logits.shape)} vs '
            f'{tuple(target_logits.shape)}'
        )
    log_target = F.log_softmax(target_logits, dim=-1)
    terms = log_target.exp() * (
        log_target - F.log_softmax(input_logits, dim=-1)
    )
    return terms.mean()


def reverse_axes(tensor: Tensor) -> Tensor:
    """All axes reversed, what the release's ``.T`` does on a 3-D tensor."""
    return tensor.permute(*range(tensor.dim() - 1, -1, -1))


@MODELS.register_module()
class BanzhafDistillationLoss(nn.Module):
    """Distil the frozen teacher's Banzhaf map into a level's estimator.

    ``loss = w * (KL(student, teacher) + KL(rev(student), rev(teacher)))``
    with :func:`softmax_kl_divergence` (softmax over the last axis) and
    ``rev`` reversing all axes ((B, Lt, Lv) -> (Lv, Lt, B), so the second
    term normalises over the batch axis, as the release's ``.T`` does).

    The teacher is detached here (the release computes it under
    ``torch.no_grad``). With masks (entity level) BOTH maps are multiplied by
    ``text_mask[:, :, None] * video_mask[:, None, :]`` first, i.e. padded
    entries become logit 0 (not -inf), the release's einsum masking.

    Args:
        loss_weight (float): ``skl``. Defaults to 1.0.

    Shape:
        - student, teacher: (B, Lt, Lv); text_mask: (B, Lt); video_mask:
          (B, Lv).
        - output: scalar.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self,
        student: Tensor,
        teacher: Tensor,
        text_mask: Optional[Tensor] = None,
        video_mask: Optional[Tensor] = None,
    ) -> Tensor:
        teacher = teacher.detach()
        if text_mask is not None:
            keep = (text_mask > 0).to(student.dtype)[:, :, None]
            student, teacher = student * keep, teacher * keep
        if video_mask is not None:
            keep = (video_mask > 0).to(student.dtype)[:, None, :]
            student, teacher = student * keep, teacher * keep
        loss = softmax_kl_divergence(student, teacher) + softmax_kl_divergence(
            reverse_axes(student), reverse_axes(teacher)
        )
        return self.loss_weight * loss
