"""Weighted token-wise interaction (WTI), the similarity of every HBI level.

``hbi_method.md`` A4 (entity level, with masks) and A6 (action/event levels,
without masks). Written here rather than taken from a library because no
library implements WTI with the released model's masking conventions.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# The release fills padded weight logits with this value before the softmax
# (not -inf, so that a sample without any real token still gets finite weights).
PADDED_WEIGHT_LOGIT = -9e15


class TokenWeightHead(nn.Sequential):
    """Per-token weight logits: ``Linear(D, 2D) -> ReLU -> Linear(2D, 1)``.

    A ``nn.Sequential`` so that its parameters are named ``0.*`` and ``2.*``
    exactly like the released ``text_weight_fc*`` / ``video_weight_fc*``.

    Args:
        embed_dim (int): Token width D. Defaults to 512.

    Shape:
        - tokens: (B, L, D)
        - output: (B, L) weight logits (not yet soft-maxed).
    """

    def __init__(self, embed_dim: int = 512) -> None:
        super().__init__(
            nn.Linear(embed_dim, 2 * embed_dim), nn.ReLU(inplace=True),
            nn.Linear(2 * embed_dim, 1))

    def forward(self, tokens: Tensor) -> Tensor:
        return super().forward(tokens).squeeze(-1)


def masked_token_weights(weight_logits: Tensor,
                         mask: Optional[Tensor] = None) -> Tensor:
    """Softmax of weight logits over the real tokens only.

    Args:
        weight_logits (Tensor): Logits, shape (B, L).
        mask (Tensor, optional): 1 (or True) on real tokens, shape (B, L).
            None means every token is real. Defaults to None.

    Returns:
        Tensor: Weights (B, L) summing to 1 per row; padded tokens get the
        logit -9e15 before the softmax, hence weight 0.
    """
    if mask is not None:
        weight_logits = weight_logits.masked_fill(mask <= 0,
                                                  PADDED_WEIGHT_LOGIT)
    return torch.softmax(weight_logits, dim=-1)


def normalize_tokens(tokens: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """L2-normalise tokens and zero the padded ones.

    Zeroing the padded tokens makes every interaction entry that involves a
    padded token exactly 0, as the release's masking of A does, without
    materialising a mask of A's size.

    Args:
        tokens (Tensor): Features, shape (B, L, D).
        mask (Tensor, optional): 1 on real tokens, shape (B, L). Defaults to
            None (all real).

    Returns:
        Tensor: Shape (B, L, D).
    """
    tokens = F.normalize(tokens, dim=-1)
    if mask is not None:
        tokens = tokens * (mask > 0).unsqueeze(-1).to(tokens.dtype)
    return tokens


def positive_pair_interaction(text_tokens: Tensor,
                              text_mask: Optional[Tensor],
                              video_tokens: Tensor,
                              video_mask: Optional[Tensor]) -> Tensor:
    """Token-frame cosine matrices A_bb of paired text b and video b.

    Args:
        text_tokens (Tensor): Text tokens of the pairs, shape (B, Lt, D).
        text_mask (Tensor, optional): 1 on real tokens, (B, Lt).
        video_tokens (Tensor): Video tokens of the pairs, shape (B, Lv, D).
        video_mask (Tensor, optional): 1 on real frames, (B, Lv).

    Returns:
        Tensor: A_bb, shape (B, Lt, Lv); entries with a padded token are 0.
    """
    if text_tokens.shape[0] != video_tokens.shape[0]:
        raise ValueError(
            'positive_pair_interaction: text_tokens and video_tokens must '
            f'hold the same number of pairs, got {text_tokens.shape[0]} and '
            f'{video_tokens.shape[0]}')
    return torch.einsum('btd,bvd->btv',
                        normalize_tokens(text_tokens, text_mask),
                        normalize_tokens(video_tokens, video_mask))


def weighted_token_interaction(text_tokens: Tensor,
                               text_mask: Optional[Tensor],
                               text_weight_logits: Tensor,
                               video_tokens: Tensor,
                               video_mask: Optional[Tensor],
                               video_weight_logits: Tensor) -> Tensor:
    """WTI similarity of every text with every video (A4).

    ``s_ab = 1/2 (sum_i w_t^a[i] max_j A_ab[i, j] + sum_j w_v^b[j] max_i
    A_ab[i, j])`` where A_ab is the cosine matrix with padded entries 0 and
    the maxima run over all columns/rows, padded ones (holding 0) included.

    Memory: the einsum materialises A for all pairs, ``Nt * Nv * Lt * Lv``
    elements (4 bytes each in fp32; e.g. 1000 x 1000 x 32 x 12 = 1.5 GB), plus
    two reductions of ``Nt * Nv * max(Lt, Lv)``. Callers bound it by calling
    this function on blocks of texts/videos (the result of a block is exactly
    the corresponding block of the full matrix).

    Args:
        text_tokens (Tensor): (Nt, Lt, D), not necessarily normalised.
        text_mask (Tensor, optional): (Nt, Lt), 1 on real tokens; None = all.
        text_weight_logits (Tensor): (Nt, Lt) logits of ``TokenWeightHead``.
        video_tokens (Tensor): (Nv, Lv, D).
        video_mask (Tensor, optional): (Nv, Lv), 1 on real frames; None = all.
        video_weight_logits (Tensor): (Nv, Lv).

    Returns:
        Tensor: Text-to-video similarity, shape (Nt, Nv).
    """
    text_weights = masked_token_weights(text_weight_logits, text_mask)
    video_weights = masked_token_weights(video_weight_logits, video_mask)
    interaction = torch.einsum('atd,bvd->abtv',
                               normalize_tokens(text_tokens, text_mask),
                               normalize_tokens(video_tokens, video_mask))
    text_part = torch.einsum('abt,at->ab',
                             interaction.max(dim=-1).values, text_weights)
    video_part = torch.einsum('abv,bv->ab',
                              interaction.max(dim=-2).values, video_weights)
    return (text_part + video_part) / 2.0
