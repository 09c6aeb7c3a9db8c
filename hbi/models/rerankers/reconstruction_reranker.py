"""Re-ranking with the reconstructed representations (HBI-v2, B1)."""

from torch import Tensor, nn

from hbi.registry import MODELS

from ..layers import paired_token_interaction
from .base_reranker import BaseReranker, Features


@MODELS.register_module()
class ReconstructionReranker(BaseReranker):
    """Second-stage score = the similarity of the pair's reconstructed
    tokens, ``final = sim + weight * sim_rec``.

    For a pair (text a, video b), the head's reconstruction neck
    re-expresses a's words with b's frames and b's frames with a's words
    (:meth:`HierarchicalBanzhafHead.pair_tokens`), and ``sim_rec`` is the
    weighted token-wise interaction of those tokens at each level with a
    non-zero ``rate``, mixed by the head's ``rate`` like the first stage.
    The token weights are the single-modal ones (each item's own weight
    heads, as in the game; see ``docs/en/methods/hbi_v2.md``).

    Args:
        k (int): Re-ranking depth. Defaults to 16.
        weight (float): ``lambda``, the weight of ``sim_rec``. Defaults to
            1.0.
    """

    def forward(
        self,
        model: nn.Module,
        text_feats: Features,
        video_feats: Features,
        text_index: Tensor,
        video_index: Tensor,
    ) -> Tensor:
        head = model.head
        if getattr(head, 'reconstruction', None) is None:
            raise ValueError(
                'ReconstructionReranker needs a head with a reconstruction '
                'neck (model.head.reconstruction=dict(type='
                "'CrossModalReconstruction', ...))"
            )
        total = None
        for level, rate in zip(head.levels, head.rate):
            if rate == 0:
                continue
            pairs = head.pair_tokens(
                text_feats, video_feats, level, text_index, video_index
            )
            sim = rate * paired_token_interaction(
                pairs.text,
                pairs.text_mask,
                text_feats[f'{level}_weight_logits'][text_index],
                pairs.video,
                pairs.video_mask,
                video_feats[f'{level}_weight_logits'][video_index],
            )
            total = sim if total is None else total + sim
        if total is None:  # every rate is 0, like the fused similarity
            total = text_feats['entity_tokens'].new_zeros(len(text_index))
        return total
