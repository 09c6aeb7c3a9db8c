"""The reconstruction operator written from its definition in plain torch
(matmuls and softmax), reading a GatedCrossAttention's weights."""

import math

import torch
import torch.nn.functional as F


def _layer_norm(x, norm):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + norm.eps) * norm.weight + norm.bias


def reference_cross_attention(block, x, other, other_mask=None):
    """c = MultiHead(LN_q(x), LN_kv(other)) over the real keys only."""
    attn = block.attn
    heads, dim = attn.num_heads, x.shape[-1]
    w_q, w_k, w_v = attn.in_proj_weight.split(dim)
    b_q, b_k, b_v = attn.in_proj_bias.split(dim)
    q = _layer_norm(x, block.norm_query) @ w_q.T + b_q
    kv_in = _layer_norm(other, block.norm_context)
    k, v = kv_in @ w_k.T + b_k, kv_in @ w_v.T + b_v

    def split(t):  # (B, L, D) -> (B, H, L, D / H)
        return t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2)

    logits = split(q) @ split(k).transpose(-1, -2) / math.sqrt(dim / heads)
    if other_mask is not None:
        logits = logits.masked_fill(
            other_mask[:, None, None, :] <= 0, float('-inf')
        )
    weights = torch.softmax(logits, dim=-1)
    out = (weights @ split(v)).transpose(1, 2).reshape(x.shape)
    out = out @ attn.out_proj.weight.T + attn.out_proj.bias
    if other_mask is not None:  # no real key: no cross-modal component
        out = torch.where(
            (other_mask > 0).any(1)[:, None, None], out, torch.zeros_like(out)
        )
    return out


def reference_reconstruction(block, x, x_mask, other, other_mask):
    """r = LN(x + sigmoid(W [x; c] + b) * c); padded x tokens unchanged."""
    c = reference_cross_attention(block, x, other, other_mask)
    gate = torch.sigmoid(
        torch.cat([x, c], -1) @ block.gate.weight.T + block.gate.bias
    )
    r = _layer_norm(x + gate * c, block.norm_out)
    if x_mask is not None:
        r = torch.where(x_mask[..., None] > 0, r, x)
    return r


def reference_cosine_loss(r, x, mask, weight):
    """w * mean over items of the mean over real tokens of 1 - cos."""
    per_item = []
    for b in range(r.shape[0]):
        real = (
            torch.ones(r.shape[1], dtype=torch.bool)
            if mask is None
            else mask[b] > 0
        )
        cos = F.cosine_similarity(r[b][real], x[b][real], dim=-1)
        per_item.append((1 - cos).mean())
    return weight * torch.stack(per_item).mean()
