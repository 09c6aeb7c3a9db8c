"""Clover's tri-modal alignment and pair-wise ranking
(``docs/en/methods/clover.md``)."""

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def tri_modal_alignment(
    anchor: Tensor, positives: Sequence[Tensor], scale: float
) -> Tensor:
    """Align an anchor modality with several positive types at once.

    For each positive type ``p``: a softmax of each anchor ``a`` over all
    ``len(positives) * B`` candidates of the batch, with the other types'
    positives of sample ``a`` left out, target ``positives[p][a]``; and the
    reverse, each ``positives[p][a]`` over the ``B`` anchors, target ``a``.
    The result is the mean of these ``2 * len(positives)`` cross-entropies.

    Args:
        anchor (Tensor): L2-normalised anchors.
        positives (Sequence[Tensor]): L2-normalised candidates of each type;
            row ``a`` of each is a positive of ``anchor[a]``.
        scale (float): Inverse temperature.

    Returns:
        Tensor: Scalar.

    Shape:
        - anchor and each positive: (B, D).
    """
    num, types = anchor.shape[0], len(positives)
    rows = torch.arange(num, device=anchor.device)
    logits = anchor @ torch.cat(list(positives)).t() * scale  # [B, types*B]
    losses = []
    for p in range(types):
        others = torch.zeros_like(logits, dtype=torch.bool)
        for q in range(types):
            if q != p:
                others[rows, q * num + rows] = True
        losses.append(
            F.cross_entropy(
                logits.masked_fill(others, float('-inf')), p * num + rows
            )
        )
        reverse = positives[p] @ anchor.t() * scale
        losses.append(F.cross_entropy(reverse, rows))
    return torch.stack(losses).mean()


def pairwise_ranking(
    anchor: Tensor, full: Tensor, masked: Tensor, margin: float
) -> Tensor:
    """Hinge ``max(0, margin - cos(anchor, full) + cos(anchor, masked))``,
    averaged: the full view must beat the masked one by ``margin``.

    Shape:
        - anchor, full, masked: (B, D), L2-normalised.
    """
    gap = (anchor * full).sum(-1) - (anchor * masked).sum(-1)
    return F.relu(margin - gap).mean()
