"""One level's answer classifier of the released HBI QA model.

``docs/en/methods/hbi_qa.md`` Q3: a weighted pooling of the question tokens
and of the video tokens, a projection of each, their concatenation (video
first) and a two-layer classifier. Written here because no library has the
release's pooling, whose masking is part of what must be reproduced.
"""

from typing import Optional

import torch
from torch import Tensor, nn

from .weighted_token_interaction import TokenWeightHead, masked_token_weights


def weighted_token_pool(
    tokens: Tensor,
    weight_logits: Tensor,
    mask: Optional[Tensor] = None,
    mask_weights: bool = False,
) -> Tensor:
    """Sum of tokens weighted by a softmax of their logits.

    With a mask, padded tokens are zeroed before the sum. The release
    (``mask_weights=False``) takes the softmax over EVERY token, padded ones
    included, so padded tokens still absorb weight although they add nothing
    to the sum; ``mask_weights=True`` takes it over the real tokens only (the
    weights of a sample then sum to 1 over its real tokens).

    Args:
        tokens (Tensor): Token features, shape (B, L, D).
        weight_logits (Tensor): One logit per token, shape (B, L).
        mask (Tensor, optional): 1 on real tokens, shape (B, L). None: all
            tokens are real. Defaults to None.
        mask_weights (bool): Softmax over real tokens only. Defaults to
            False (the release).

    Returns:
        Tensor: Pooled features, shape (B, D).
    """
    if mask is None:
        weights = torch.softmax(weight_logits, dim=-1)
    else:
        keep = (mask > 0).to(tokens.dtype)
        tokens = tokens * keep.unsqueeze(-1)
        weights = (
            masked_token_weights(weight_logits, keep)
            if mask_weights
            else torch.softmax(weight_logits, dim=-1)
        )
    return torch.einsum('bld,bl->bd', tokens, weights)


class PooledAnswerClassifier(nn.Module):
    """Pool question and video tokens, project, concatenate, classify.

    Module names follow the release (suffix '' / '0' / '1' per level):
    ``text_weight`` = ``t_weight``, ``video_weight`` = ``v_weight``
    (``Linear(D, D) -> ReLU -> Linear(D, 1)``), ``text_proj`` /
    ``video_proj`` = ``t_proj`` / ``v_proj`` (``Linear(D, P)``),
    ``classifier`` = ``classifier`` (``Linear(2P, 4P) -> ReLU ->
    Linear(4P, A)``); dropout (0.1 as released) acts on the concatenation
    ``[video; question]``.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_answers (int): Answer vocabulary size A. Defaults to 1500.
        proj_dim (int, optional): Projection width P. Defaults to 4D
            (2,048 for D = 512, as released).
        dropout (float): Dropout on the concatenation. Defaults to 0.1.
        mask_weights (bool): See :func:`weighted_token_pool`. Defaults to
            False (the release).

    Shape:
        - text_tokens: (B, Lt, D); text_mask: (B, Lt) or None;
          video_tokens: (B, Lv, D); video_mask: (B, Lv) or None.
        - output: (B, A) answer logits.
    """

    def __init__(
        self,
        embed_dim: int = 512,
        num_answers: int = 1500,
        proj_dim: Optional[int] = None,
        dropout: float = 0.1,
        mask_weights: bool = False,
    ) -> None:
        super().__init__()
        proj_dim = proj_dim or 4 * embed_dim
        self.mask_weights = mask_weights
        self.text_weight = TokenWeightHead(embed_dim, hidden_dim=embed_dim)
        self.video_weight = TokenWeightHead(embed_dim, hidden_dim=embed_dim)
        self.text_proj = nn.Linear(embed_dim, proj_dim)
        self.video_proj = nn.Linear(embed_dim, proj_dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Sequential(
            nn.Linear(2 * proj_dim, 4 * proj_dim),
            nn.ReLU(inplace=True),
            nn.Linear(4 * proj_dim, num_answers),
        )

    def forward(
        self,
        text_tokens: Tensor,
        text_mask: Optional[Tensor],
        video_tokens: Tensor,
        video_mask: Optional[Tensor],
    ) -> Tensor:
        if text_tokens.shape[0] != video_tokens.shape[0]:
            raise ValueError(
                'PooledAnswerClassifier: text and video tokens must hold '
                f'the same number of questions, got {text_tokens.shape[0]} '
                f'and {video_tokens.shape[0]}'
            )
        text = weighted_token_pool(
            text_tokens,
            self.text_weight(text_tokens),
            text_mask,
            self.mask_weights,
        )
        video = weighted_token_pool(
            video_tokens,
            self.video_weight(video_tokens),
            video_mask,
            self.mask_weights,
        )
        joint = torch.cat([self.video_proj(video), self.text_proj(text)], -1)
        return self.classifier(self.dropout(joint))
