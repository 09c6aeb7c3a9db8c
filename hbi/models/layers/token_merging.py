"""Token merging between HBI levels (``docs/en/methods/hbi.md`` A5).

One merge step is ``ClusterTokenMerge`` (the released ``t_ctm*``/``v_ctm*``,
a 1-D version of TCFormer's CTM) followed by ``TokenClusterBlock`` (the
released ``t_block*``/``v_block*``). Written here because the released
modules are not in a library, and TCFormer's versions work on 2-D maps.

Determinism: the release adds uniform noise (1e-6) to the densities to break
ties. Here ties are broken by token index instead, without perturbing any
value: token j outranks token i if ``rho_j > rho_i`` or (``rho_j == rho_i``
and ``j < i``); centres are taken from a *stable* descending sort of
``rho * delta`` (equal scores: lower index first); every token joins the
nearest centre, the first one in centre order on ties (``argmin`` returns the
first minimum). Distances are symmetrised with a zero diagonal, so ties that
are exact in exact arithmetic stay exact whatever cdist's rounding on the
device. Without ties the result is the release's.
"""

import math
from typing import Optional, Tuple

import torch
from torch import Tensor, nn


@torch.no_grad()
def dpc_knn_cluster(
    tokens: Tensor,
    num_clusters: int,
    k: int = 3,
    mask: Optional[Tensor] = None,
) -> Tuple[Tensor, Tensor]:
    """DPC-KNN clustering of each sample's tokens (A5 step 2), no gradients.

    Args:
        tokens (Tensor): Token features, shape (B, N, D).
        num_clusters (int): Number of clusters K (<= N).
        k (int): Neighbours (itself included) of the local density.
            Defaults to 3.
        mask (Tensor, optional): 1 on real tokens, (B, N). Defaults to None.

    Returns:
        tuple[Tensor, Tensor]: ``assignment`` (B, N) int64, the cluster
        (0..K-1, in centre order) of each token, and ``centres`` (B, K), the
        token index of each cluster's centre, in decreasing ``rho * delta``.
    """
    batch, num_tokens, dim = tokens.shape
    if not 1 <= num_clusters <= num_tokens:
        raise ValueError(
            f'dpc_knn_cluster: num_clusters must be in [1, '
            f'{num_tokens}], got {num_clusters}'
        )
    dist = torch.cdist(tokens, tokens) / math.sqrt(dim)
    # Made exactly symmetric with a zero diagonal: cdist's matmul form rounds
    # d(i, j) and d(j, i) differently (and differently on each device), and
    # that decided exact ties, e.g. the two tokens of a two-token caption.
    dist = (dist + dist.transpose(1, 2)) / 2
    dist.diagonal(dim1=1, dim2=2).zero_()
    real = None
    if mask is not None:
        real = mask > 0
        # Padded columns get the largest distance of the whole batch + 1 so
        # that they are never among a real token's nearest neighbours.
        dist = torch.where(real[:, None, :], dist, dist.max() + 1)
    nearest = dist.topk(min(k, num_tokens), dim=-1, largest=False).values
    density = torch.exp(-(nearest**2).mean(dim=-1))
    if real is not None:
        density = density * real.to(density.dtype)
    index = torch.arange(num_tokens, device=tokens.device)
    outranks = (density[:, None, :] > density[:, :, None]) | (
        (density[:, None, :] == density[:, :, None])
        & (index[None, :] < index[:, None])
    )  # [b, i, j]: j outranks i
    dist_max = dist.flatten(1).max(dim=-1).values[:, None, None]
    delta = torch.where(outranks, dist, dist_max).min(dim=-1).values
    score = density * delta
    centres = torch.sort(score, dim=-1, descending=True, stable=True).indices[
        :, :num_clusters
    ]
    centre_rows = dist.gather(
        1, centres[:, :, None].expand(batch, num_clusters, num_tokens)
    )
    assignment = centre_rows.argmin(dim=1)
    assignment.scatter_(
        1,
        centres,
        torch.arange(num_clusters, device=tokens.device).expand(batch, -1),
    )
    return assignment, centres


def merge_clusters(
    tokens: Tensor, assignment: Tensor, num_clusters: int, weights: Tensor
) -> Tensor:
    """Weight-normalised average of each cluster's members (A5 step 3).

    As in the release, 1e-6 is added to every cluster's total weight, so a
    cluster holding only padded tokens (weight 0) gives a zero feature.

    Args:
        tokens (Tensor): (B, N, D).
        assignment (Tensor): (B, N) cluster index of each token.
        num_clusters (int): K.
        weights (Tensor): (B, N) non-negative token weights.

    Returns:
        Tensor: Merged tokens, shape (B, K, D).
    """
    batch, num_tokens, dim = tokens.shape
    total = (
        weights.new_zeros(batch, num_clusters).scatter_add(
            1, assignment, weights
        )
        + 1e-6
    )
    norm_weights = weights / total.gather(1, assignment)
    return tokens.new_zeros(batch, num_clusters, dim).scatter_add(
        1,
        assignment[..., None].expand(batch, num_tokens, dim),
        tokens * norm_weights[..., None],
    )


class ClusterTokenMerge(nn.Module):
    """CTM: token conv + LayerNorm + score, DPC-KNN clustering, merging.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        rate (float): Cluster count K = max(ceil(N * rate), 1). Defaults
            to 0.25.
        k (int): Neighbours of the DPC-KNN density. Defaults to 3.

    Shape:
        - tokens: (B, N, D); mask: (B, N) or None (all real).
        - outputs: merged (B, K, D); step-1 tokens (B, N, D) (after conv and
          LayerNorm, the keys/values of ``TokenClusterBlock``); score (B, N),
          -inf on padded tokens.
    """

    def __init__(
        self, embed_dim: int = 512, rate: float = 0.25, k: int = 3
    ) -> None:
        super().__init__()
        if not 0 < rate <= 1:
            raise ValueError(
                f'ClusterTokenMerge: rate must be in (0, 1], got {rate}'
            )
        self.rate = rate
        self.k = k
        self.conv = nn.Conv1d(
            embed_dim, embed_dim, kernel_size=3, padding=1, bias=False
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.score = nn.Linear(embed_dim, 1)

    def num_clusters(self, num_tokens: int) -> int:
        """K for N input tokens."""
        return max(math.ceil(num_tokens * self.rate), 1)

    def forward(
        self, tokens: Tensor, mask: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor, Tensor]:
        tokens = tokens + self.conv(tokens.transpose(1, 2)).transpose(1, 2)
        tokens = self.norm(tokens)
        score = self.score(tokens).squeeze(-1)
        if mask is not None:
            score = score.masked_fill(mask <= 0, float('-inf'))
        num_clusters = self.num_clusters(tokens.shape[1])
        assignment, _ = dpc_knn_cluster(
            tokens.detach(), num_clusters, self.k, mask
        )
        merged = merge_clusters(tokens, assignment, num_clusters, score.exp())
        return merged, tokens, score


class _ClusterAttention(nn.Module):
    """Multi-head attention of merged tokens over the step-1 tokens."""

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f'TokenClusterBlock: embed_dim {embed_dim} is '
                f'not divisible by num_heads {num_heads}'
            )
        self.num_heads = num_heads
        self.scale = (embed_dim // num_heads) ** -0.5
        self.q = nn.Linear(embed_dim, embed_dim)
        self.kv = nn.Linear(embed_dim, 2 * embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)

    def forward(
        self, query: Tensor, key_value: Tensor, key_score: Tensor
    ) -> Tensor:
        batch, num_q, dim = query.shape
        heads = self.num_heads
        q = self.q(query).reshape(batch, num_q, heads, -1).transpose(1, 2)
        k, v = (
            self.kv(key_value)
            .reshape(batch, -1, 2, heads, dim // heads)
            .permute(2, 0, 3, 1, 4)
        )
        logits = (q @ k.transpose(-2, -1)) * self.scale
        attn = (logits + key_score[:, None, None, :]).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(batch, num_q, dim)
        return self.proj(out)


class TokenClusterBlock(nn.Module):
    """TCBlock: merged tokens attend to the step-1 tokens (A5 step 4).

    ``result = merged + proj(softmax(q k^T * head_dim^-1/2 + score) v)`` with
    q from ``norm1(merged)`` and k, v from ``norm1(step-1 tokens)`` (one shared
    LayerNorm). No MLP, as released.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.

    Shape:
        - merged: (B, K, D); tokens: (B, N, D); score: (B, N), -inf masks a
          key.
        - output: (B, K, D)
    """

    def __init__(self, embed_dim: int = 512, num_heads: int = 8) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dim)
        self.attn = _ClusterAttention(embed_dim, num_heads)

    def forward(self, merged: Tensor, tokens: Tensor, score: Tensor) -> Tensor:
        return merged + self.attn(
            self.norm1(merged), self.norm1(tokens), score
        )
