"""TACo's cascade sampling: hard negatives through the fusion encoder
(``docs/en/methods/taco.md``)."""

from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

from hbi.registry import MODELS

from .retrieval_extra_loss import BaseRetrievalLoss, RetrievalLossBatch


def hardest_negatives(sim: Tensor, num: int) -> Tensor:
    """The ``num`` highest-scoring videos of each text other than its own.

    Shape:
        - sim: (B, B), text ``a`` pairs with video ``a``; output: (B, num).
    """
    sim = sim.detach().clone()
    sim.fill_diagonal_(float('-inf'))
    return sim.topk(num, dim=1).indices


@MODELS.register_module()
class CascadeFusionLoss(BaseRetrievalLoss):
    """Cross-entropy of the fusion encoder's match score over the positive
    and the ``num_negatives`` hardest negatives of each text.

    The negatives are the videos of the gathered batch the retriever's
    first-stage (fused) similarity ranks highest for the text, chosen
    without gradient. Each text's word tokens are fused with the frame
    tokens of its ``1 + K`` candidates (``K = min(num_negatives, B - 1)``)
    and the match scores are classified with the positive first.

    Args:
        num_negatives (int): K. Defaults to 8.
        loss_weight (float): Defaults to 1.0.
    """

    needs_fusion_encoder = True

    def __init__(self, num_negatives: int = 8, loss_weight: float = 1.0):
        super().__init__()
        if num_negatives < 1:
            raise ValueError(
                f'num_negatives must be >= 1, got {num_negatives}'
            )
        self.num_negatives, self.loss_weight = num_negatives, loss_weight

    def forward(self, batch: RetrievalLossBatch) -> Dict[str, Tensor]:
        model = batch.model
        with torch.no_grad():
            sim = model.similarity(
                batch.gathered('text'), batch.gathered('video'), ['fused']
            )
        num_texts = sim['fused'].shape[0]
        k = min(self.num_negatives, num_texts - 1)
        words = batch.gathered('text_tokens')
        if k < 1:  # a batch of one pair has no negative
            return dict(loss_cascade=words.sum() * 0.0)
        candidates = torch.cat(
            [
                torch.arange(num_texts, device=words.device)[:, None],
                hardest_negatives(sim['fused'], k),
            ],
            dim=1,
        ).flatten()
        text_rows = torch.arange(
            num_texts, device=words.device
        ).repeat_interleave(k + 1)
        scores = model.fusion_encoder(
            words[text_rows],
            batch.gathered('attention_mask')[text_rows],
            batch.gathered('frame_tokens')[candidates],
            batch.gathered('frame_mask')[candidates],
        )['score'].view(num_texts, k + 1)
        target = scores.new_zeros(num_texts, dtype=torch.long)
        loss = F.cross_entropy(scores, target)
        return dict(loss_cascade=self.loss_weight * loss)
