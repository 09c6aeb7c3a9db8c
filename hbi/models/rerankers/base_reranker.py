"""The interface of a second-stage re-ranker (any head can fill it)."""

from abc import ABCMeta, abstractmethod
from typing import Dict

from torch import Tensor, nn

Features = Dict[str, Tensor]


class BaseReranker(nn.Module, metaclass=ABCMeta):
    """Re-scores given (text, video) pairs for the re-ranking stage.

    A retriever built with ``reranker=dict(type=..., k=16, weight=1.0)``
    holds one; the test loop and :class:`hbi.apis.VideoSearchIndex` then
    take, for each text, the ``k`` videos of highest first-stage (fused)
    score and rank them by ``first + weight * second``, where ``second`` is
    what :meth:`forward` returns for the pair (see
    :mod:`hbi.models.rerankers.reranking_stage` and
    ``docs/en/advanced_guides/reranking.md``). Pairs outside the top-k keep
    their first-stage order below every re-ranked pair.

    A reranker receives the model itself, so it can reach any of its parts
    (the head's reconstruction neck, a fusion encoder) without owning them:
    those parts then stay in the model's state dict under their own names.
    It may also own parameters of its own.

    Args:
        k (int): Re-ranking depth: videos re-scored per text (and texts per
            video for video-to-text). Defaults to 16.
        weight (float): Weight of the second-stage score. Defaults to 1.0.
    """

    def __init__(self, k: int = 16, weight: float = 1.0) -> None:
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(
                f'{type(self).__name__}: k must be a positive int, got {k!r}'
            )
        self.k = k
        self.weight = float(weight)

    @abstractmethod
    def forward(
        self,
        model: nn.Module,
        text_feats: Features,
        video_feats: Features,
        text_index: Tensor,
        video_index: Tensor,
    ) -> Tensor:
        """Second-stage score of each pair ``(text_index[p],
        video_index[p])``.

        Args:
            model (nn.Module): The retriever (unwrapped), in eval mode.
            text_feats (dict[str, Tensor]): Encoded texts
                (``model.encode_text``), first dim = text.
            video_feats (dict[str, Tensor]): Encoded videos
                (``model.encode_video``), first dim = video.
            text_index (Tensor): Row of each pair in ``text_feats``.
            video_index (Tensor): Row of each pair in ``video_feats``.

        Returns:
            Tensor: One score per pair.

        Shape:
            - text_index, video_index: (P,), int64.
            - output: (P,).
        """
