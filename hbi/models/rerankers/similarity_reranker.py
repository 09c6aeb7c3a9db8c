"""Re-ranking with one of the model's own similarity outputs."""

from torch import Tensor, nn

from hbi.registry import MODELS

from .base_reranker import BaseReranker, Features


@MODELS.register_module()
class SimilarityReranker(BaseReranker):
    """Second-stage score = one output of ``model.similarity``.

    Works with any head: e.g. ``key='event'`` re-ranks the entity-level
    top-k of HBI (``rate=(1, 0, 0)``) with the event-level similarity, at
    the cost of k pairs per text instead of a whole gallery.

    The pairs' items are scored as a (unique texts x unique videos) block
    and the pairs picked from it, so the cost per call is that block
    (:func:`~hbi.models.rerankers.score_pairs` keeps calls small).

    Args:
        key (str): Output of ``model.similarity`` (``'fused'``,
            ``'entity'``, ``'action'``, ``'event'``, ``'sim'`` ...).
        k (int): Re-ranking depth. Defaults to 16.
        weight (float): Weight of the second-stage score. Defaults to 1.0.
    """

    def __init__(self, key: str, k: int = 16, weight: float = 1.0) -> None:
        super().__init__(k=k, weight=weight)
        self.key = key

    def forward(
        self,
        model: nn.Module,
        text_feats: Features,
        video_feats: Features,
        text_index: Tensor,
        video_index: Tensor,
    ) -> Tensor:
        block = model.similarity(text_feats, video_feats, levels=(self.key,))
        return block[self.key][text_index, video_index]
