"""Gated cross-attention: a token re-expressed with the other modality.

The building block of the reconstruction neck (``docs/en/methods/hbi_v2.md``):

    c = CrossAttn(LN_q(x), LN_kv(other))        (8 heads, pre-LayerNorm)
    g = sigmoid(W_g [x; c] + b_g)               (one gate per channel)
    r = LN_out(x + g * c)

The attention itself is torch's :class:`torch.nn.MultiheadAttention`.
:meth:`GatedCrossAttention.forward_pairs` computes the same for many pairs
of few items (the re-ranking stage: each text with its top-k videos), with
what depends on one item only computed once per item.
"""

from typing import Optional

import torch
import torch.nn.functional as F
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

    def forward_pairs(
        self,
        x: Tensor,
        x_mask: Optional[Tensor],
        x_index: Tensor,
        other: Tensor,
        other_mask: Optional[Tensor],
        other_index: Tensor,
    ) -> Tensor:
        """``forward(x[x_index], ..., other[other_index], ...)`` for P pairs
        of few items, with the per-item work done once per item.

        The LayerNorms, the query / key / value projections and the gate's
        ``x`` half depend on one item only, so they run once per item; the
        attention (:func:`torch.nn.functional.scaled_dot_product_attention`
        with the module's own weights), the output projection and the rest
        of the gate run per pair. Equal to the pair-by-pair result up to
        float rounding.

        Shape:
            - x: (Nx, L, D); x_mask: (Nx, L); x_index: (P,).
            - other: (No, M, D); other_mask: (No, M); other_index: (P,).
            - output: (P, L, D).
        """
        attn, dim = self.attn, x.shape[-1]
        w_q, w_k, w_v = attn.in_proj_weight.split(dim)
        b_q, b_k, b_v = attn.in_proj_bias.split(dim)
        w_gx, w_gc = self.gate.weight.split(dim, dim=1)

        def heads(t: Tensor) -> Tensor:  # (N, L, D) -> (N, H, L, D / H)
            return t.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2)

        query = heads(F.linear(self.norm_query(x), w_q, b_q))
        context = self.norm_context(other)
        keys = heads(F.linear(context, w_k, b_k))
        values = heads(F.linear(context, w_v, b_v))
        mask, empty = None, None
        if other_mask is not None:
            padded = other_mask <= 0
            empty = padded.all(dim=1)
            mask = ~(padded & ~empty[:, None])[other_index][:, None, None]
        out = F.scaled_dot_product_attention(
            query[x_index], keys[other_index], values[other_index], mask
        )
        context_out = attn.out_proj(out.transpose(1, 2).flatten(2))
        if empty is not None:
            context_out = (
                context_out
                * (~empty[other_index]).to(out.dtype)[:, None, None]
            )
        rows = x[x_index]
        gate = torch.sigmoid(
            F.linear(x, w_gx, self.gate.bias)[x_index]
            + F.linear(context_out, w_gc)
        )
        out = self.norm_out(rows + gate * context_out)
        if x_mask is not None:
            out = torch.where((x_mask[x_index] > 0).unsqueeze(-1), out, rows)
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
