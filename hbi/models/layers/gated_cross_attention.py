"""Gated cross-attention: a token re-expressed with the other modality.

The building block of the reconstruction neck (``docs/en/methods/hbi_v2.md``):

    c = CrossAttn(LN_q(x), LN_kv(other))        (8 heads, pre-LayerNorm)
    g = sigmoid(W_g [x; c] + b_g)               (one gate per channel)
    r = LN_out(x + g * c)

The attention itself is torch's :class:`torch.nn.MultiheadAttention`.
"""

from typing import Optional

import torch
from mmengine.model import normal_init
from torch import Tensor, nn


class GatedCrossAttention(nn.Module):
    """``r = LN(x + g * CrossAttn(x, other))`` with a per-channel gate.

    Padded tokens of ``other`` are never attended to, so they cannot change
    a real token of ``x``; an item of ``x`` whose ``other`` has no real
    token gets no cross-modal component (``c = 0``, so ``r = LN_out(x)``).
    Padded tokens of ``x`` are returned unchanged (``r = x``), so they carry
    nothing from ``other`` either.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.

    Shape:
        - x: (B, L, D); x_mask: (B, L), 1 on real tokens (None: all real).
        - other: (B, M, D); other_mask: (B, M).
        - output: (B, L, D).
    """

    def __init__(self, embed_dim: int = 512, num_heads: int = 8) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f'GatedCrossAttention: embed_dim {embed_dim} is not '
                f'divisible by num_heads {num_heads}'
            )
        self.norm_query = nn.LayerNorm(embed_dim)
        self.norm_context = nn.LayerNorm(embed_dim)
        self.attn = nn.MultiheadAttention(
            embed_dim, num_heads, batch_first=True
        )
        self.gate = nn.Linear(2 * embed_dim, embed_dim)
        self.norm_out = nn.LayerNorm(embed_dim)
        # As the head's other new layers: N(0, 0.02), zero bias (a gate of
        # about 0.5 at the start); the attention keeps torch's init.
        normal_init(self.gate, std=0.02, bias=0.0)

    def cross_attention(
        self, x: Tensor, other: Tensor, other_mask: Optional[Tensor] = None
    ) -> Tensor:
        """``c``: each token of ``x`` attending to the real tokens of
        ``other`` (0 where ``other`` has none)."""
        padded = None
        if other_mask is not None:
            padded = other_mask <= 0
            empty = padded.all(dim=1)
            # A row with no real key would give NaN: attend to anything and
            # zero the result instead.
            padded = padded & ~empty[:, None]
        out = self.attn(
            self.norm_query(x),
            self.norm_context(other),
            self.norm_context(other),
            key_padding_mask=padded,
            need_weights=False,
        )[0]
        if other_mask is not None:
            out = out * (~empty).to(out.dtype)[:, None, None]
        return out

    def forward(
        self,
        x: Tensor,
        x_mask: Optional[Tensor],
        other: Tensor,
        other_mask: Optional[Tensor] = None,
    ) -> Tensor:
        if x.dim() != 3 or other.dim() != 3 or x.shape[0] != other.shape[0]:
            raise ValueError(
                'GatedCrossAttention: x and other must be (B, L, D) and '
                f'(B, M, D) with one B, got {tuple(x.shape)} and '
                f'{tuple(other.shape)}'
            )
        context = self.cross_attention(x, other, other_mask)
        gate = torch.sigmoid(self.gate(torch.cat([x, context], dim=-1)))
        out = self.norm_out(x + gate * context)
        if x_mask is not None:
            out = torch.where((x_mask > 0).unsqueeze(-1), out, x)
        return out
