"""Second-stage scores of (text, video) pairs by the fusion encoder (TACo's
test-time cascade, ``docs/en/methods/taco.md``)."""

from typing import Dict

import torch
from torch import Tensor, nn

from hbi.registry import MODELS

from .base_reranker import BaseReranker


@MODELS.register_module()
class FusionReranker(BaseReranker):
    """The match score of the retriever's ``fusion_encoder`` for each pair.

    The re-ranking stage of the test loop and ``VideoSearchIndex`` takes,
    for each text, the ``k`` videos of highest first-stage score and ranks
    them by ``first + weight * score`` (TACo's ``dual + lambda * fusion``
    over the top K'). With ``needs_tokens`` the retriever keeps
    the tokens the fusion encoder reads in the encoded features:
    ``word_tokens``/``word_mask`` of texts, ``frame_tokens``/``frame_mask``
    of videos (memory: ``Lt x D`` per text and ``T x D`` per video).

    Args:
        k (int): Re-ranked videos per text (K'). Defaults to 16.
        weight (float): lambda. Defaults to 1.0.
        pairs_per_call (int): Pairs fused at once. Defaults to 1024.

    Shape:
        - text_index, video_index: (P,) rows of ``text_feats`` /
          ``video_feats``; output: (P,) float32.
    """

    needs_tokens = True
    needs_fusion_encoder = True

    def __init__(
        self, k: int = 16, weight: float = 1.0, pairs_per_call: int = 1024
    ) -> None:
        super().__init__(k=k, weight=weight)
        if pairs_per_call < 1:
            raise ValueError(
                f'pairs_per_call must be >= 1, got {pairs_per_call}'
            )
        self.pairs_per_call = pairs_per_call

    @torch.no_grad()
    def forward(
        self,
        model: nn.Module,
        text_feats: Dict[str, Tensor],
        video_feats: Dict[str, Tensor],
        text_index: Tensor,
        video_index: Tensor,
    ) -> Tensor:
        scores = []
        for start in range(0, len(text_index), self.pairs_per_call):
            ti = text_index[start : start + self.pairs_per_call]
            vi = video_index[start : start + self.pairs_per_call]
            out = model.fusion_encoder(
                text_feats['word_tokens'][ti],
                text_feats['word_mask'][ti],
                video_feats['frame_tokens'][vi],
                video_feats['frame_mask'][vi],
            )
            scores.append(out['score'].float())
        if not scores:
            return text_index.new_zeros(0, dtype=torch.float32)
        return torch.cat(scores)
