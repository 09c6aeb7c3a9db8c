"""The training objective of :class:`HierarchicalBanzhafHead`
(docs/en/methods/hbi.md A9, and the journal version's reconstruction loss,
hbi_v2.md B1)."""

from typing import Dict, Optional, Union

import torch
from torch import Tensor

from hbi.utils.distributed import all_gather_with_grad, global_mean_for_logging

from ..layers import positive_pair_interaction
from ..losses.contrastive_loss import symmetric_info_nce
from .full_precision import full_precision
from .pair_tokens import PairTokens

Features = Dict[str, Tensor]


class HierarchicalBanzhafObjective:
    """``loss`` of the head: per level the contrastive term on the
    similarity, the Banzhaf distillation and the reconstruction loss on the
    positive pairs' tokens (:meth:`pair_tokens`), and the level
    self-distillation. The head provides ``similarity``, ``pair_tokens``,
    the estimators, the teacher, the neck and the loss modules."""

    @full_precision
    def loss(
        self,
        text_features: Features,
        video_features: Features,
        logit_scale: Union[Tensor, float],
        local_text: Optional[Features] = None,
        local_video: Optional[Features] = None,
    ) -> Dict[str, Tensor]:
        """Training losses of one gathered batch; text b pairs with video b.

        Per level: ``loss_contrastive_{level}`` (symmetric InfoNCE, tau =
        exp(logit_scale)); ``loss_banzhaf_{level}`` (only with a teacher:
        ``skl`` * KL between the frozen teacher and the level's estimator on
        the positive-pair matrices A_bb; the teacher's input and output are
        detached, the student's input A_bb is not); with the reconstruction
        neck, A_bb is computed on the reconstructed tokens
        (:meth:`pair_tokens`) and ``loss_reconstruction_{level}`` keeps them
        close to the single-modal ones; and for action/event
        ``loss_self_distill_{level}`` (``kl`` * KL from the entity level;
        left out when ``kl`` is 0).

        Per-pair work (the neck, the estimators) runs on this rank's own
        pairs (``local_text`` / ``local_video``, the un-gathered features;
        None on one process, meaning the gathered ones). The estimators'
        maps are then gathered (with gradients) because the distillation
        normalises over the batch axis too, so its value is that of one
        process; the reconstruction loss is a mean over pairs, so this
        rank's mean is used for the gradient (DDP averages ranks) and the
        mean over ranks is its value.

        Args:
            text_features (dict[str, Tensor]): Gathered
                :meth:`encode_text` output, N items.
            video_features (dict[str, Tensor]): Gathered
                :meth:`encode_video` output, N items.
            logit_scale (Tensor | float): Log inverse temperature.
            local_text (dict[str, Tensor], optional): This rank's text
                features; None on one process. Defaults to None.
            local_video (dict[str, Tensor], optional): This rank's video
                features; None on one process. Defaults to None.

        Returns:
            dict[str, Tensor]: Scalar losses.
        """
        num_texts = text_features['entity_tokens'].shape[0]
        num_videos = video_features['entity_tokens'].shape[0]
        if num_texts != num_videos:
            raise ValueError(
                'HierarchicalBanzhafHead.loss: text_features and '
                'video_features must hold the same number of '
                f'pairs, got {num_texts} and {num_videos}'
            )
        if (local_text is None) != (local_video is None):
            raise ValueError(
                'HierarchicalBanzhafHead.loss: give both local_text and '
                'local_video, or neither'
            )
        logit_scale = torch.as_tensor(
            logit_scale, device=text_features['entity_tokens'].device
        )
        distributed = local_text is not None
        pair_text = local_text if distributed else text_features
        pair_video = local_video if distributed else video_features
        sims = self.similarity(text_features, video_features)
        losses = {}
        for index, level in enumerate(self.levels):
            losses[f'loss_contrastive_{level}'] = symmetric_info_nce(
                sims[level], logit_scale
            )
            if not self.use_banzhaf and self.reconstruction is None:
                continue
            pairs = self.pair_tokens(pair_text, pair_video, level)
            if self.reconstruction is not None:
                losses[f'loss_reconstruction_{level}'] = (
                    global_mean_for_logging(self._reconstruction_loss(pairs))
                )
            if self.use_banzhaf:
                losses[f'loss_banzhaf_{level}'] = self._banzhaf_loss(
                    index, pairs, distributed
                )
        # kl = 0 (the QA model distils answer logits instead): no term.
        for level in (
            self.levels[1:] if self.self_distill_loss.loss_weight else ()
        ):
            losses[f'loss_self_distill_{level}'] = self.self_distill_loss(
                sims[level], sims['entity']
            )
        return losses

    def _reconstruction_loss(self, pairs: PairTokens) -> Tensor:
        """Mean of the text side's and the video side's loss."""
        neck = self.reconstruction
        text = neck.loss(pairs.text, pairs.text_single, pairs.text_mask)
        video = neck.loss(pairs.video, pairs.video_single, pairs.video_mask)
        return (text + video) / 2

    def _banzhaf_loss(
        self, index: int, pairs: PairTokens, gather: bool
    ) -> Tensor:
        """Distillation of the teacher's map into level ``index``'s
        estimator, both on this rank's pairs, gathered if ``gather``."""
        maps = positive_pair_interaction(
            pairs.text, pairs.text_mask, pairs.video, pairs.video_mask
        )
        student = self.banzhaf_estimators[index](maps)
        with torch.no_grad():
            teacher = self.teacher(maps.detach())
        masks = (pairs.text_mask, pairs.video_mask)
        if gather:
            student, teacher, masks = all_gather_with_grad(
                (student, teacher, masks)
            )
        if not self.mask_entity_banzhaf:
            masks = (None, None)
        return self.banzhaf_loss(student, teacher, *masks)
