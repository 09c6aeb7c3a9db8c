"""Reconstruction loss of the B1 neck (``docs/en/methods/hbi_v2.md``)."""

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from hbi.registry import MODELS


@MODELS.register_module()
class CosineReconstructionLoss(nn.Module):
    """``w * mean_pairs( mean_real_tokens( 1 - cos(r, x) ) )``.

    Keeps a reconstructed token ``r`` close in direction to its
    single-modal token ``x``. Each pair (item) is first averaged over its
    real tokens, then the pairs are averaged, so the value over a batch
    split across ranks is the mean of the ranks' values (equal local
    batches), and a pair's weight does not depend on its length.

    Args:
        loss_weight (float): ``w``. Defaults to 0.1.
        detach_target (bool): Stop the gradient through ``x``, so the term
            trains the neck only and does not pull the single-modal
            (retrieval) features towards their reconstruction. Defaults to
            True.

    Shape:
        - reconstructed, target: (B, L, D); mask: (B, L) (None: all real).
        - output: scalar.
    """

    def __init__(
        self, loss_weight: float = 0.1, detach_target: bool = True
    ) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.detach_target = detach_target

    def forward(
        self,
        reconstructed: Tensor,
        target: Tensor,
        mask: Optional[Tensor] = None,
    ) -> Tensor:
        if reconstructed.shape != target.shape:
            raise ValueError(
                'CosineReconstructionLoss: reconstructed and target shapes '
                f'differ: {tuple(reconstructed.shape)} vs '
                f'{tuple(target.shape)}'
            )
        if self.detach_target:
            target = target.detach()
        distance = 1.0 - F.cosine_similarity(reconstructed, target, dim=-1)
        if mask is None:
            per_item = distance.mean(dim=1)
        else:
            real = (mask > 0).to(distance.dtype)
            per_item = (distance * real).sum(dim=1) / real.sum(dim=1).clamp(
                min=1.0
            )
        return self.loss_weight * per_item.mean()
