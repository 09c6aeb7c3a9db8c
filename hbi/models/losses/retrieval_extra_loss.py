"""The interface of the extra losses a retriever adds to its head's loss.

``VideoTextRetriever(extra_losses=[dict(type=...), ...])`` builds each entry
as a :class:`BaseRetrievalLoss` and calls it once per training batch with a
:class:`RetrievalLossBatch`. A new method is one such loss file plus one
config line.

Distributed training (the project's contract for losses): a loss over the
whole batch (a contrastive matrix, hard negatives of the batch) is computed
identically on every rank from features gathered with
:meth:`RetrievalLossBatch.gathered` (``all_gather_with_grad``, whose
backward gives every rank's features their single-process gradient); a
loss that encodes further views (masked text, segments) encodes this rank's
local inputs and gathers the resulting embeddings.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

from torch import Tensor, nn

from hbi.utils.distributed import all_gather_with_grad


@dataclass
class RetrievalLossBatch:
    """What an extra loss gets: the model, this rank's inputs, encoded
    tokens and head features, and the temperature.

    Attributes:
        model (nn.Module): The retriever (towers, temporal module,
            ``fusion_encoder``, ``similarity``).
        inputs (dict[str, Tensor]): This rank's batch after the data
            preprocessor, side inputs included (``content_word_mask``,
            ``masked_attention_mask``, ``segment_*``).
        text_tokens (Tensor): Projected tokens of this rank's texts.
        frame_tokens (Tensor): Frame features after the temporal module.
        text (dict): The head's features of this rank's texts
            (``gathered('text')`` for the whole batch).
        video (dict): The head's features of this rank's videos.
        logit_scale (Tensor): Log inverse temperature of the retriever.
        patch_tokens (Tensor, optional): Projected patch tokens of this
            rank's frames, when a loss asks for them (``needs_patch_tokens``).

    Shape:
        - text_tokens: (B, Lt, D); frame_tokens: (B, T, D);
          patch_tokens: (B, T, P, D).
    """

    model: nn.Module
    inputs: Dict[str, Tensor]
    text_tokens: Tensor
    frame_tokens: Tensor
    text: Dict[str, Tensor]
    video: Dict[str, Tensor]
    logit_scale: Tensor
    patch_tokens: Optional[Tensor] = None
    _cache: Dict[str, Any] = field(default_factory=dict, repr=False)

    def local(self, name: str) -> Any:
        """This rank's ``text``/``video`` head features,
        ``text_tokens``/``frame_tokens``/``patch_tokens``, or input
        ``name``."""
        if name in (
            'text',
            'video',
            'text_tokens',
            'frame_tokens',
            'patch_tokens',
        ):
            return getattr(self, name)
        return self.inputs[name]

    def gathered(self, name: str) -> Any:
        """:meth:`local` ``name`` gathered over all ranks (with gradients;
        computed once per batch and shared by the losses)."""
        return self.cached(
            f'gathered:{name}', lambda: all_gather_with_grad(self.local(name))
        )

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per batch under ``key`` (for views that
        several losses use)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


class BaseRetrievalLoss(nn.Module):
    """An extra loss of a retriever.

    Subclasses set, as class or instance attributes:

    - ``required_inputs``: side inputs the loss cannot work without (names
      a dataset's transforms ``provide``, e.g. ``'content_word_mask'``); a
      training dataset without them is an error before training starts;
    - ``optional_inputs``: side inputs whose terms are off (and logged so)
      when the dataset lacks them (the segments of multi-level alignment);
    - ``needs_fusion_encoder``: the retriever must have a
      ``fusion_encoder``;
    - ``needs_patch_tokens``: the retriever passes the frames' patch tokens.

    and implement :meth:`forward`, returning named losses (keys start with
    ``loss_``, weights applied).
    """

    required_inputs: Tuple[str, ...] = ()
    optional_inputs: Tuple[str, ...] = ()
    needs_fusion_encoder: bool = False
    needs_patch_tokens: bool = False

    def forward(self, batch: RetrievalLossBatch) -> Dict[str, Tensor]:
        raise NotImplementedError


def inverse_temperature(
    batch: RetrievalLossBatch, temperature: Optional[float]
) -> Tensor:
    """``1 / temperature``, or the retriever's ``exp(logit_scale)`` when
    ``temperature`` is None."""
    if temperature is None:
        return batch.logit_scale.exp()
    if temperature <= 0:
        raise ValueError(f'temperature must be positive, got {temperature}')
    return batch.logit_scale.new_tensor(1.0 / temperature)
