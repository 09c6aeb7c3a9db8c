"""Token cross-entropy of a caption decoder, with label smoothing."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hbi.registry import MODELS


@MODELS.register_module()
class CaptionCrossEntropyLoss(nn.Module):
    """Label-smoothed cross-entropy of the real target tokens of captions.

    Each caption's loss is the mean over its real target tokens (its words
    and its end token; padding is never scored: the caller passes only the
    real tokens, picked by the mask, because CLIP's pad id 0 is the real
    token ``"!"``). The batch loss is the mean over captions, a per-sample
    mean, so that data-parallel gradient averaging gives the global mean.
    The smoothed target puts ``1 - eps`` on the true token and ``eps`` spread
    evenly over the whole vocabulary (``F.cross_entropy``'s
    ``label_smoothing``).

    Args:
        label_smoothing (float): eps. Defaults to 0.1.
        loss_weight (float): Defaults to 1.0.

    Shape:
        - logits: [N, V], the scores of the N real target tokens of a batch.
        - targets: [N] token ids.
        - caption_index: [N], the caption (0..num_captions-1) of each token.
        - output: scalar.
    """

    def __init__(
        self, label_smoothing: float = 0.1, loss_weight: float = 1.0
    ) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                f'label_smoothing must be in [0, 1), got {label_smoothing}'
            )
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight

    def forward(
        self,
        logits: Tensor,
        targets: Tensor,
        caption_index: Tensor,
        num_captions: int,
    ) -> Tensor:
        token_loss = F.cross_entropy(
            logits.float(),
            targets,
            label_smoothing=self.label_smoothing,
            reduction='none',
        )
        sums = token_loss.new_zeros(num_captions).index_add(
            0, caption_index, token_loss
        )
        counts = torch.bincount(caption_index, minlength=num_captions)
        if bool((counts == 0).any()):
            raise ValueError(
                'CaptionCrossEntropyLoss: a caption has no target token '
                '(every caption ends with the end token)'
            )
        return self.loss_weight * (sums / counts).mean()
