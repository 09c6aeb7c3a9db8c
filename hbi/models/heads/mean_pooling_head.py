"""CLIP4Clip's "meanP" interaction: one vector per text and per video."""

from typing import Dict, Optional, Sequence

from mmengine.model import BaseModule
from torch import Tensor

from hbi.models.layers.global_pooling import (
    end_token_embedding,
    mean_frame_embedding,
)
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
        return dict(sentence=end_token_embedding(tokens, mask))

    @full_precision
    def encode_video(self, tokens: Tensor, mask: Tensor) -> Dict[str, Tensor]:
        return dict(video=mean_frame_embedding(tokens, mask))

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
