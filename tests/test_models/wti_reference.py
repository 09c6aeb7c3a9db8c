"""The weighted token-wise interaction (docs/en/methods/hbi.md A4), pair by
pair, written from its definition: shared by the layer and head tests.

For text ``a`` and video ``b`` with real tokens ``R_t`` and real frames
``R_v``: the weights are softmaxes of the logits over the real positions;
``A[i, j]`` is the cosine of token ``i`` and frame ``j``, 0 where either is
padded; the maxima run over ALL columns (rows), so a padded column (row)
contributes its 0: ``max_j A[i, j] = max(max_{j in R_v} cos(i, j), 0)``
when the video has a padded frame. Float64 and differentiable (torch ops),
so it serves for values and gradients.
"""

from typing import Optional

import torch
from torch import Tensor


def _real(mask: Optional[Tensor], item: int, length: int) -> Tensor:
    if mask is None:
        return torch.ones(length, dtype=torch.bool)
    return mask[item] > 0


def pairwise_wti(
    t: Tensor,
    tm: Optional[Tensor],
    tw: Tensor,
    v: Tensor,
    vm: Optional[Tensor],
    vw: Tensor,
) -> Tensor:
    """``s[a, b]`` for every text ``a`` and video ``b``, float64.

    Shape:
        - t: (Nt, Lt, D), tm/tw: (Nt, Lt); v: (Nv, Lv, D), vm/vw: (Nv, Lv).
        - output: (Nt, Nv).
    """
    rows = []
    for a in range(t.shape[0]):
        real_t = _real(tm, a, t.shape[1])
        x = t[a][real_t].double()
        x = x / x.norm(dim=-1, keepdim=True)
        w_t = torch.softmax(tw[a][real_t].double(), dim=0)
        row = []
        for b in range(v.shape[0]):
            real_v = _real(vm, b, v.shape[1])
            y = v[b][real_v].double()
            y = y / y.norm(dim=-1, keepdim=True)
            w_v = torch.softmax(vw[b][real_v].double(), dim=0)
            cos = x @ y.T  # real tokens x real frames
            best_frame = cos.max(dim=1).values
            if not real_v.all():  # a padded column holds 0
                best_frame = best_frame.clamp(min=0)
            best_token = cos.max(dim=0).values
            if not real_t.all():
                best_token = best_token.clamp(min=0)
            row.append(
                0.5 * ((w_t * best_frame).sum() + (w_v * best_token).sum())
            )
        rows.append(torch.stack(row))
    return torch.stack(rows)
