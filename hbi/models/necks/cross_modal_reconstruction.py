"""Representation reconstruction, HBI's journal version (B1).

See ``docs/en/methods/hbi_v2.md``: for a (text, video) pair at a level,
each word token attends to the paired video's frames and each frame to the
words; the reconstructed token fuses the single-modal token with that
cross-modal component through a per-channel gate,
``r = LN(x + g * CrossAttn(x, other))``. The Banzhaf game and its estimators
are then played on the interaction map of the reconstructed tokens.
"""

from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from hbi.registry import MODELS

from ..layers.gated_cross_attention import GatedCrossAttention


@MODELS.register_module()
class CrossModalReconstruction(BaseModule):
    """Tokens of one modality re-expressed with the paired other modality.

    One :class:`~hbi.models.layers.GatedCrossAttention` serves both
    directions (words attending to frames and frames to words: both live in
    the joint embedding space); with ``share_levels=False`` each level
    (entity, action, event) has its own.

    A released (v1) checkpoint has no weights for this module:
    ``init_when_missing_from_checkpoint`` lets the checkpoint loader keep
    its initialisation and list it in the log.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.
        num_levels (int): Levels it may be called for. Defaults to 3.
        share_levels (bool): One module for all levels. Defaults to True.
        loss (dict): The reconstruction loss. Defaults to
            ``dict(type='CosineReconstructionLoss', loss_weight=0.1)``.
        init_cfg (dict, optional): Defaults to None.

    Shape:
        - x: (B, L, D); x_mask: (B, L) or None (all real).
        - other: (B, M, D); other_mask: (B, M) or None.
        - output: (B, L, D).
    """

    init_when_missing_from_checkpoint = True

    def __init__(
        self,
        embed_dim: int = 512,
        num_heads: int = 8,
        num_levels: int = 3,
        share_levels: bool = True,
        loss: dict = dict(type='CosineReconstructionLoss', loss_weight=0.1),
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_levels < 1:
            raise ValueError(
                f'CrossModalReconstruction: num_levels must be >= 1, got '
                f'{num_levels}'
            )
        self.num_levels = num_levels
        self.share_levels = share_levels
        self.blocks = nn.ModuleList(
            GatedCrossAttention(embed_dim, num_heads)
            for _ in range(1 if share_levels else num_levels)
        )
        self.reconstruction_loss = MODELS.build(loss)

    def forward(
        self,
        x: Tensor,
        x_mask: Optional[Tensor],
        other: Tensor,
        other_mask: Optional[Tensor],
        level: int = 0,
    ) -> Tensor:
        """``x`` re-expressed with ``other`` (item b of ``x`` with item b of
        ``other``) at ``level`` (0 entity, 1 action, 2 event)."""
        return self._block(level)(x, x_mask, other, other_mask)

    def forward_pairs(
        self,
        x: Tensor,
        x_mask: Optional[Tensor],
        x_index: Tensor,
        other: Tensor,
        other_mask: Optional[Tensor],
        other_index: Tensor,
        level: int = 0,
    ) -> Tensor:
        """``forward`` of the pairs ``(x[x_index[p]], other[other_index[p]])``
        with the per-item work done once per item
        (:meth:`GatedCrossAttention.forward_pairs`), for many pairs of few
        items (re-ranking).

        Shape:
            - x: (Nx, L, D); x_index, other_index: (P,); other: (No, M, D).
            - output: (P, L, D).
        """
        return self._block(level).forward_pairs(
            x, x_mask, x_index, other, other_mask, other_index
        )

    def _block(self, level: int) -> GatedCrossAttention:
        if not 0 <= level < self.num_levels:
            raise ValueError(
                f'CrossModalReconstruction: level {level} is not in '
                f'[0, {self.num_levels})'
            )
        return self.blocks[0 if self.share_levels else level]

    def loss(
        self, reconstructed: Tensor, x: Tensor, x_mask: Optional[Tensor]
    ) -> Tensor:
        """The weighted reconstruction loss of one side's tokens."""
        return self.reconstruction_loss(reconstructed, x, x_mask)
