"""Clover's training objective on a retriever: masked views, tri-modal
alignment and pair-wise ranking (``docs/en/methods/clover.md``)."""

import math
from typing import Dict, Literal, Tuple

from torch import Tensor

from hbi.registry import MODELS
from hbi.utils.distributed import all_gather_with_grad

from ..layers.block_masking import block_patch_mask
from ..layers.global_pooling import end_token_embedding, mean_frame_embedding
from .retrieval_extra_loss import BaseRetrievalLoss, RetrievalLossBatch
from .tri_modal_alignment import pairwise_ranking, tri_modal_alignment


@MODELS.register_module()
class CloverLoss(BaseRetrievalLoss):
    """Tri-modal alignment and pair-wise ranking with masked views.

    Views of each pair (all L2-normalised, from this rank's inputs, then
    gathered): ``V``/``T`` the whole video (mean frame) and text (end
    token); ``Vm`` the video with the same random patch blocks
    (``video_mask_ratio`` of the grid) dropped in every frame; ``Tm`` the
    text with its semantic mask (``masked_attention_mask`` of
    ``SemanticTextMask``); ``Fv`` the fusion encoder's ``[CLS]`` of masked
    video with full text and ``Ft`` of full video with masked text.

    - ``loss_tri_modal``: ½ (tri-modal alignment of ``V`` with
      ``T, Tm, Fv`` + of ``T`` with ``V, Vm, Ft``), temperature
      ``temperature``;
    - ``loss_pairwise_ranking``: ½ (ranking of ``T`` over ``Tm`` for ``V`` +
      of ``V`` over ``Vm`` for ``T``), margin ``margin`` in cosine.

    Only the dual encoder is used at test time.

    Args:
        alignment_weight (float): Defaults to 1.0.
        ranking_weight (float): Defaults to 1.0.
        margin (float): Defaults to 0.25.
        temperature (float): Defaults to 0.05.
        video_mask_ratio (float): Fraction of the patch grid masked.
            Defaults to 0.2.
        fusion_tokens (str): Video tokens the fusion encoder reads:
            ``'patches'`` (every kept patch of every frame) or ``'frames'``
            (one per frame, after the temporal module). Defaults to
            ``'patches'``.
    """

    required_inputs = ('masked_attention_mask',)
    needs_fusion_encoder = True

    def __init__(
        self,
        alignment_weight: float = 1.0,
        ranking_weight: float = 1.0,
        margin: float = 0.25,
        temperature: float = 0.05,
        video_mask_ratio: float = 0.2,
        fusion_tokens: Literal['patches', 'frames'] = 'patches',
    ) -> None:
        super().__init__()
        if fusion_tokens not in ('patches', 'frames'):
            raise ValueError(
                "fusion_tokens must be 'patches' or 'frames', got "
                f'{fusion_tokens!r}'
            )
        self.alignment_weight = alignment_weight
        self.ranking_weight = ranking_weight
        self.margin, self.temperature = margin, temperature
        self.video_mask_ratio = video_mask_ratio
        self.fusion_tokens = fusion_tokens
        self.needs_patch_tokens = fusion_tokens == 'patches'

    def _video_tokens(
        self, frames: Tensor, patches: Tensor, frame_mask: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """The fusion encoder's video tokens and mask."""
        if self.fusion_tokens == 'frames':
            return frames, frame_mask
        per_frame = patches.shape[2]
        return (
            patches.flatten(1, 2),
            frame_mask.repeat_interleave(per_frame, dim=1),
        )

    def forward(self, batch: RetrievalLossBatch) -> Dict[str, Tensor]:
        model, inputs = batch.model, batch.inputs
        text_mask = inputs['attention_mask']
        masked_mask = inputs['masked_attention_mask']
        frame_mask = inputs['frame_mask']
        masked_words = model.text_encoder(inputs['input_ids'], masked_mask)
        grid = math.isqrt(model.video_encoder.num_patches)
        patch_mask = block_patch_mask(
            frame_mask.shape[0],
            grid,
            self.video_mask_ratio,
            device=frame_mask.device,
        )
        masked_frames, masked_patches = model.encode_frames(
            inputs['frames'],
            frame_mask,
            patch_mask=patch_mask,
            return_patch_tokens=True,
        )
        fusion = model.fusion_encoder
        full_video = self._video_tokens(
            batch.frame_tokens, batch.patch_tokens, frame_mask
        )
        masked_video = self._video_tokens(
            masked_frames, masked_patches, frame_mask
        )
        views = dict(
            V=mean_frame_embedding(batch.frame_tokens, frame_mask),
            T=end_token_embedding(batch.text_tokens, text_mask),
            Vm=mean_frame_embedding(masked_frames, frame_mask),
            Tm=end_token_embedding(masked_words, masked_mask),
            Fv=fusion(batch.text_tokens, text_mask, *masked_video)['cls'],
            Ft=fusion(masked_words, masked_mask, *full_video)['cls'],
        )
        v = all_gather_with_grad(views)
        scale = 1.0 / self.temperature
        alignment = 0.5 * (
            tri_modal_alignment(v['V'], [v['T'], v['Tm'], v['Fv']], scale)
            + tri_modal_alignment(v['T'], [v['V'], v['Vm'], v['Ft']], scale)
        )
        ranking = 0.5 * (
            pairwise_ranking(v['V'], v['T'], v['Tm'], self.margin)
            + pairwise_ranking(v['T'], v['V'], v['Vm'], self.margin)
        )
        return dict(
            loss_tri_modal=self.alignment_weight * alignment,
            loss_pairwise_ranking=self.ranking_weight * ranking,
        )
