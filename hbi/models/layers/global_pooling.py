"""One vector per text and per video: CLIP's end token and the mean frame.

Shared by CLIP4Clip's meanP head and the extra losses (TACo, Clover,
multi-level alignment), which compare whole texts and videos whatever the
retriever's head is.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def end_token_embedding(tokens: Tensor, mask: Tensor) -> Tensor:
    """L2-normalised token at the last real position (CLIP's end token).

    The last position whose mask is 1, so a mask with holes (a masked view
    that hides some words) still picks the end token.

    Shape:
        - tokens: (..., L, D); mask: (..., L) -> (..., D).
    """
    positions = torch.arange(mask.shape[-1], device=mask.device)
    last = ((mask > 0).long() * positions).argmax(dim=-1)
    picked = tokens.gather(
        -2, last[..., None, None].expand(*last.shape, 1, tokens.shape[-1])
    ).squeeze(-2)
    return F.normalize(picked, dim=-1)


def mean_frame_embedding(tokens: Tensor, mask: Tensor) -> Tensor:
    """Mean of the L2-normalised real frames, normalised again (meanP).

    Shape:
        - tokens: (..., T, D); mask: (..., T) -> (..., D).
    """
    weights = mask.unsqueeze(-1).type_as(tokens)
    frames = F.normalize(tokens, dim=-1) * weights
    pooled = frames.sum(-2) / weights.sum(-2).clamp(min=1.0)
    return F.normalize(pooled, dim=-1)
