"""CLIP4Clip's "meanP" interaction: one vector per text and per video."""

from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from hbi.models.losses.contrastive_loss import symmetric_info_nce
from hbi.registry import MODELS

from .full_precision import full_precision


@MODELS.register_module()
class MeanPoolingHead(BaseModule):
    """Cosine similarity of the end-token text vector and the mean frame.

    The text vector is the token at the last real position (CLIP's
    ``<|endoftext|>``); the video vector is the mean of the L2-normalised
    real frames, normalised again (CLIP4Clip "meanP").

    Args:
        loss_weight (float): Weight of the contrastive loss. Defaults to 1.

    Shape:
        - encode_text: tokens (B, L, D), mask (B, L) -> {'sentence': (B, D)}
        - encode_video: tokens (B, T, D), mask (B, T) -> {'video': (B, D)}
        - similarity -> {'fused': (Nt, Nv)}
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    @full_precision
    def encode_text(self, tokens: Tensor, mask: Tensor) -> Dict[str, Tensor]:
        last = mask.long().sum(dim=1).clamp(min=1) - 1
        sentence = tokens[torch.arange(tokens.shape[0]), last]
        return dict(sentence=F.normalize(sentence, dim=-1))

    @full_precision
    def encode_video(self, tokens: Tensor, mask: Tensor) -> Dict[str, Tensor]:
        weights = mask.unsqueeze(-1).type_as(tokens)
        frames = F.normalize(tokens, dim=-1) * weights
        pooled = frames.sum(1) / weights.sum(1).clamp(min=1.0)
        return dict(video=F.normalize(pooled, dim=-1))

    @full_precision
    def similarity(
        self,
        text: Dict[str, Tensor],
        video: Dict[str, Tensor],
        levels: Optional[Sequence[str]] = None,
    ) -> Dict[str, Tensor]:
        """``{'fused': [Nt, Nv]}``; ``levels`` (only ``'fused'`` exists) is
        accepted for the head protocol."""
        if levels is not None and set(levels) - {'fused'}:
            raise ValueError(
                f"MeanPoolingHead has only the 'fused' level, "
                f'got {list(levels)}'
            )
        return dict(fused=text['sentence'] @ video['video'].t())

    @full_precision
    def loss(
        self,
        text: Dict[str, Tensor],
        video: Dict[str, Tensor],
        logit_scale: Tensor,
        local_text: Optional[Dict[str, Tensor]] = None,
        local_video: Optional[Dict[str, Tensor]] = None,
    ) -> Dict[str, Tensor]:
        """Symmetric InfoNCE of the gathered batch. ``local_text`` /
        ``local_video`` (this rank's features) are accepted for the head
        protocol; this head has no per-pair term."""
        sim = self.similarity(text, video)['fused']
        return dict(
            loss_contrastive=self.loss_weight
            * symmetric_info_nce(sim, logit_scale)
        )
