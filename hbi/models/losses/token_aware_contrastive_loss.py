"""TACo's token-aware contrastive loss over content words
(``docs/en/methods/taco.md``)."""

from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from hbi.registry import MODELS

from .retrieval_extra_loss import (
    BaseRetrievalLoss,
    RetrievalLossBatch,
    inverse_temperature,
)


def token_aware_contrastive(
    words: Tensor,
    content_mask: Tensor,
    frames: Tensor,
    frame_mask: Tensor,
    scale: Tensor,
) -> Tensor:
    """InfoNCE of every content word over the videos of the batch.

    The score of content word ``k`` of text ``a`` with video ``b`` is the
    largest cosine of the word with a real frame of ``b``; the positive is
    ``b = a``. The cross-entropies are averaged over the content words of
    each text, then over the texts that have one (every BPE token of a
    content word counts as a word).

    Args:
        words (Tensor): Token embeddings of the texts.
        content_mask (Tensor): 1 on the tokens of content words.
        frames (Tensor): Frame embeddings of the videos.
        frame_mask (Tensor): 1 on real frames.
        scale (Tensor): Inverse temperature.

    Returns:
        Tensor: Scalar; 0 (with a graph) if no text has a content word.

    Shape:
        - words: (B, L, D); content_mask: (B, L); frames: (B, T, D);
          frame_mask: (B, T).
    """
    owner, position = (content_mask > 0).nonzero(as_tuple=True)
    if owner.numel() == 0:
        return words.sum() * 0.0 + frames.sum() * 0.0
    picked = F.normalize(words[owner, position], dim=-1)  # [Nw, D]
    cos = torch.einsum('nd,btd->nbt', picked, F.normalize(frames, dim=-1))
    cos = cos.masked_fill(~frame_mask.bool()[None], float('-inf'))
    logits = cos.amax(dim=-1) * scale  # [Nw, B]
    per_word = F.cross_entropy(logits, owner, reduction='none')
    num_texts = words.shape[0]
    sums = per_word.new_zeros(num_texts).index_add(0, owner, per_word)
    counts = torch.bincount(owner, minlength=num_texts)
    has_words = counts > 0
    return (sums[has_words] / counts[has_words]).mean()


@MODELS.register_module()
class TokenAwareContrastiveLoss(BaseRetrievalLoss):
    """TACo's token-aware loss: content words (nouns, verbs) of each text
    against the frames of every video of the (gathered) batch.

    Needs the ``content_word_mask`` side input (``ContentWordMask`` in the
    text pipeline, from the dataset's caption tag file).

    Args:
        loss_weight (float): Defaults to 1.0.
        temperature (float, optional): Fixed temperature; None uses the
            retriever's ``logit_scale``. Defaults to None.
    """

    required_inputs = ('content_word_mask',)

    def __init__(
        self, loss_weight: float = 1.0, temperature: Optional[float] = None
    ) -> None:
        super().__init__()
        self.loss_weight, self.temperature = loss_weight, temperature

    def forward(self, batch: RetrievalLossBatch) -> Dict[str, Tensor]:
        loss = token_aware_contrastive(
            batch.gathered('text_tokens'),
            batch.gathered('content_word_mask'),
            batch.gathered('frame_tokens'),
            batch.gathered('frame_mask'),
            inverse_temperature(batch, self.temperature),
        )
        return dict(loss_token_aware=self.loss_weight * loss)
