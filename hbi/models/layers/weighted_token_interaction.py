"""Weighted token-wise interaction (WTI), the similarity of every HBI level.

``docs/en/methods/hbi.md`` A4 (entity level, with masks) and A6 (action/event
levels, without masks). Written here rather than taken from a library because
no library implements WTI with the released model's masking conventions.
"""

from typing import List, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# The release fills padded weight logits with this value before the softmax
# (not -inf, so that a sample without any real token still gets finite
# weights).
PADDED_WEIGHT_LOGIT = -9e15
NORM_EPS = 1e-12  # as F.normalize
# Tiling of ``weighted_token_interaction`` (see its docstring), by device
# type: on a CPU a tile's A stays in cache; on a GPU tiles are large so that
# few kernels are launched.
DEFAULT_TILE_ELEMENTS = 2**21
DEFAULT_VIDEOS_PER_TILE = 256
ACCELERATOR_TILE_ELEMENTS = 2**26
ACCELERATOR_VIDEOS_PER_TILE = 4096


class TokenWeightHead(nn.Sequential):
    """Per-token weight logits: ``Linear(D, H) -> ReLU -> Linear(H, 1)``.

    A ``nn.Sequential`` so that its parameters are named ``0.*`` and ``2.*``
    exactly like the released ``text_weight_fc*`` / ``video_weight_fc*``
    (H = 2D) and the released QA pooling weights ``t_weight*`` /
    ``v_weight*`` (H = D).

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        hidden_dim (int, optional): Hidden width H. Defaults to 2D.

    Shape:
        - tokens: (B, L, D)
        - output: (B, L) weight logits (not yet soft-maxed).
    """

    def __init__(
        self, embed_dim: int = 512, hidden_dim: Optional[int] = None
    ) -> None:
        hidden_dim = hidden_dim or 2 * embed_dim
        super().__init__(
            nn.Linear(embed_dim, hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, 1),
        )

    def forward(self, tokens: Tensor) -> Tensor:
        return super().forward(tokens).squeeze(-1)


def masked_token_weights(
    weight_logits: Tensor, mask: Optional[Tensor] = None
) -> Tensor:
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
        weight_logits = weight_logits.masked_fill(
            mask <= 0, PADDED_WEIGHT_LOGIT
        )
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


def positive_pair_interaction(
    text_tokens: Tensor,
    text_mask: Optional[Tensor],
    video_tokens: Tensor,
    video_mask: Optional[Tensor],
) -> Tensor:
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
            f'{video_tokens.shape[0]}'
        )
    return torch.einsum(
        'btd,bvd->btv',
        normalize_tokens(text_tokens, text_mask),
        normalize_tokens(video_tokens, video_mask),
    )


def paired_token_interaction(
    text_tokens: Tensor,
    text_mask: Optional[Tensor],
    text_weight_logits: Tensor,
    video_tokens: Tensor,
    video_mask: Optional[Tensor],
    video_weight_logits: Tensor,
) -> Tensor:
    """WTI similarity (A4) of pair p = (text p, video p) only: the diagonal
    of :func:`weighted_token_interaction`, for tokens that depend on the
    pair (e.g. reconstructed ones).

    Args:
        text_tokens (Tensor): (P, Lt, D).
        text_mask (Tensor, optional): (P, Lt); None = all real.
        text_weight_logits (Tensor): (P, Lt).
        video_tokens (Tensor): (P, Lv, D).
        video_mask (Tensor, optional): (P, Lv).
        video_weight_logits (Tensor): (P, Lv).

    Returns:
        Tensor: One similarity per pair, shape (P,).
    """
    inter = positive_pair_interaction(
        text_tokens, text_mask, video_tokens, video_mask
    )
    text_part = (
        masked_token_weights(text_weight_logits, text_mask) * inter.amax(dim=2)
    ).sum(dim=1)
    video_part = (
        masked_token_weights(video_weight_logits, video_mask)
        * inter.amax(dim=1)
    ).sum(dim=1)
    return (text_part + video_part) / 2.0


class InteractionSide(NamedTuple):
    """One side of the WTI, prepared once per call (see :func:`prepare_side`).

    Items are sorted by their number of real tokens (longest first) and each
    item's real tokens are moved to its front, so that a run of consecutive
    items can be cut to its longest real length: the matmul then skips most
    padded tokens. WTI is invariant to the order of an item's tokens.

    Attributes:
        tokens (Tensor): L2-normalised tokens, padded ones zero, (N, L, D),
            in ``order``.
        weights (Tensor): Soft-maxed weights in the same layout, (N, L).
        lengths (list[int]): Real tokens per item, in ``order``
            (non-increasing).
        floors (Tensor): 0 for an item that has padded tokens, -inf
            otherwise, (N,), in ``order``: the A4 maxima run over the padded
            entries too, which hold 0, so they are at least 0 for such items
            even where the cut drops all their padded tokens.
        order (Tensor): Original index of every sorted item, (N,).
    """

    tokens: Tensor
    weights: Tensor
    lengths: List[int]
    floors: Tensor
    order: Tensor


def prepare_side(
    tokens: Tensor, mask: Optional[Tensor], weight_logits: Tensor
) -> InteractionSide:
    """Normalise, soft-max, sort and compact one side of the interaction.

    Args:
        tokens (Tensor): (N, L, D), not necessarily normalised.
        mask (Tensor, optional): (N, L), 1 on real tokens; None = all real.
        weight_logits (Tensor): (N, L).

    Returns:
        InteractionSide: The prepared side.
    """
    # Same values as ``normalize_tokens`` (up to rounding) in fewer passes
    # over the tokens: norms, one row gather, one scaling.
    weights = masked_token_weights(weight_logits, mask)
    scale = 1.0 / torch.linalg.vector_norm(tokens, dim=-1).clamp_min(NORM_EPS)
    num, length, dim = tokens.shape
    if mask is None:
        return InteractionSide(
            tokens * scale.unsqueeze(-1),
            weights,
            [length] * num,
            tokens.new_full((num,), float('-inf')),
            torch.arange(num, device=tokens.device),
        )
    real = mask > 0
    counts = real.sum(dim=1)
    order = torch.argsort(counts, descending=True, stable=True)
    real, counts = real[order], counts[order]
    # Stable sort of "is padded": real tokens first, in their own order.
    position = torch.argsort((~real).to(torch.uint8), dim=1, stable=True)
    flat = (order.unsqueeze(1) * length + position).reshape(-1)
    scale = (scale * (mask > 0).to(scale.dtype)).reshape(-1)[flat]
    unit = tokens.reshape(-1, dim).index_select(0, flat) * scale.unsqueeze(-1)
    weights = weights.reshape(-1)[flat].view(num, length)
    floors = torch.where(counts < length, 0.0, float('-inf')).to(tokens.dtype)
    return InteractionSide(
        unit.view(num, length, dim), weights, counts.tolist(), floors, order
    )


def _interaction_tile(
    text_tokens: Tensor,
    text: InteractionSide,
    rows: slice,
    video_tokens: Tensor,
    video_weights: Tensor,
    video_floors: Tensor,
) -> Tensor:
    """WTI of text items ``rows`` with a video tile.

    ``text_tokens`` (Na * Lt', D) are those items' tokens cut to Lt' and
    flattened; the videos come frame-major: ``video_tokens`` (Lv' * Nb, D)
    ordered (frame, video), ``video_weights`` (Lv', Nb), ``video_floors``
    (Nb,)."""
    num_texts = rows.stop - rows.start
    text_len = text_tokens.shape[0] // num_texts
    num_frames, num_videos = video_weights.shape
    # One matmul; frame-major columns make both maxima below reductions over
    # an outer axis (contiguous, vectorised) instead of a strided inner one.
    inter = (text_tokens @ video_tokens.T).view(
        num_texts, text_len, num_frames, num_videos
    )
    best_frame = torch.maximum(inter.amax(dim=2), video_floors)  # (a, t, b)
    text_part = torch.bmm(
        text.weights[rows, :text_len].unsqueeze(1), best_frame
    ).squeeze(1)
    best_word = torch.maximum(
        inter.amax(dim=1), text.floors[rows, None, None]
    )  # (a, v, b)
    video_part = (best_word * video_weights).sum(dim=1)
    return (text_part + video_part) / 2.0


def _runs(lengths: List[int], width: int, budget: int) -> List[slice]:
    """Consecutive item runs whose tile (run * cut length * width) stays
    within ``budget`` elements; ``lengths`` is non-increasing."""
    runs, start = [], 0
    while start < len(lengths):
        size = max(1, budget // (max(1, lengths[start]) * width))
        runs.append(slice(start, min(len(lengths), start + size)))
        start += size
    return runs


def weighted_token_interaction(
    text_tokens: Tensor,
    text_mask: Optional[Tensor],
    text_weight_logits: Tensor,
    video_tokens: Tensor,
    video_mask: Optional[Tensor],
    video_weight_logits: Tensor,
    tile_elements: Optional[int] = None,
    videos_per_tile: Optional[int] = None,
) -> Tensor:
    """WTI similarity of every text with every video (A4).

    ``s_ab = 1/2 (sum_i w_t^a[i] max_j A_ab[i, j] + sum_j w_v^b[j] max_i
    A_ab[i, j])`` where A_ab is the cosine matrix with padded entries 0 and
    the maxima run over all columns/rows, padded ones (holding 0) included.

    When the whole A fits one tile (``Nt * Lt * Nv * Lv <= tile_elements``,
    e.g. a training batch) it is computed in one piece. Otherwise both sides
    are prepared once (:func:`prepare_side`: normalised, weights
    soft-maxed, items sorted by real length with real tokens first), then the
    (Nt, Nv) matrix is filled tile by tile: a tile of texts x videos is cut
    to the longest real length of its texts and of its videos, so padded
    tokens cost (almost) nothing, and A of a tile is one matmul reduced with
    ``amax``. Items with padding have their maxima floored at 0, which is
    what the padded entries contribute in A4. The result is exactly A4 (up
    to float rounding) for any masks, including items without real tokens.

    Memory: a tile's A holds at most about ``tile_elements`` floats (plus
    two reductions of at most half of it), whatever Nt and Nv are; the rest
    is the inputs' normalised/sorted copies and the (Nt, Nv) output. Callers
    need not block the inputs for memory; any block of texts/videos still
    gives exactly the matching block of the full matrix. With autograd, the
    tiles' A are kept for the backward (as for one big einsum).

    Args:
        text_tokens (Tensor): (Nt, Lt, D), not necessarily normalised.
        text_mask (Tensor, optional): (Nt, Lt), 1 on real tokens; None = all.
        text_weight_logits (Tensor): (Nt, Lt) logits of ``TokenWeightHead``.
        video_tokens (Tensor): (Nv, Lv, D).
        video_mask (Tensor, optional): (Nv, Lv), 1 on real frames; None = all.
        video_weight_logits (Tensor): (Nv, Lv).
        tile_elements (int, optional): Budget of one tile's A, in elements.
            None (default): 2**21 on a CPU (8 MiB in fp32: the reductions
            then run in cache), 2**26 on other devices.
        videos_per_tile (int, optional): Videos per tile (the matmul's
            column blocks). None (default): 256 on a CPU, 4096 elsewhere.

    Returns:
        Tensor: Text-to-video similarity, shape (Nt, Nv).
    """
    on_cpu = text_tokens.device.type == 'cpu'
    if tile_elements is None:
        tile_elements = (
            DEFAULT_TILE_ELEMENTS if on_cpu else ACCELERATOR_TILE_ELEMENTS
        )
    if videos_per_tile is None:
        videos_per_tile = (
            DEFAULT_VIDEOS_PER_TILE if on_cpu else ACCELERATOR_VIDEOS_PER_TILE
        )
    if tile_elements < 1 or videos_per_tile < 1:
        raise ValueError(
            'weighted_token_interaction: tile_elements and '
            'videos_per_tile must be >= 1, got '
            f'{tile_elements} and {videos_per_tile}'
        )
    if text_tokens.shape[0] == 0 or video_tokens.shape[0] == 0:
        return text_tokens.new_zeros(
            text_tokens.shape[0], video_tokens.shape[0]
        )
    if (
        text_tokens.shape[:2].numel() * video_tokens.shape[:2].numel()
        <= tile_elements
    ):
        return _single_tile_interaction(
            text_tokens,
            text_mask,
            text_weight_logits,
            video_tokens,
            video_mask,
            video_weight_logits,
        )
    text = prepare_side(text_tokens, text_mask, text_weight_logits)
    video = prepare_side(video_tokens, video_mask, video_weight_logits)
    dim = video.tokens.shape[-1]
    videos_per_tile = min(videos_per_tile, len(video.lengths))
    # Each text run is cut and flattened once, whatever the video tile.
    text_runs = [
        (
            rows,
            text.tokens[rows, : max(1, text.lengths[rows.start])].reshape(
                -1, dim
            ),
        )
        for rows in _runs(
            text.lengths,
            max(1, video.lengths[0]) * videos_per_tile,
            tile_elements,
        )
    ]
    columns = []
    for first in range(0, len(video.lengths), videos_per_tile):
        cols = slice(first, first + videos_per_tile)
        frames = max(1, video.lengths[first])
        # Frame-major (Lv' * Nb, D): see ``_interaction_tile``.
        v_tok = video.tokens[cols, :frames].transpose(0, 1).reshape(-1, dim)
        v_w = video.weights[cols, :frames].T
        tiles = [
            _interaction_tile(
                t_tok, text, rows, v_tok, v_w, video.floors[cols]
            )
            for rows, t_tok in text_runs
        ]
        columns.append(torch.cat(tiles) if len(tiles) > 1 else tiles[0])
    sorted_sims = torch.cat(columns, dim=1) if len(columns) > 1 else columns[0]
    return sorted_sims.index_select(0, _inverse(text.order)).index_select(
        1, _inverse(video.order)
    )


def _single_tile_interaction(
    text_tokens: Tensor,
    text_mask: Optional[Tensor],
    text_weight_logits: Tensor,
    video_tokens: Tensor,
    video_mask: Optional[Tensor],
    video_weight_logits: Tensor,
) -> Tensor:
    """A4 in one piece, for inputs whose whole A fits one tile (training
    batches): no sorting and no host synchronisation, so on a GPU the
    kernels queue behind the towers' instead of waiting for them."""
    text = normalize_tokens(text_tokens, text_mask)
    video = normalize_tokens(video_tokens, video_mask)
    inter = torch.einsum('atd,bvd->abtv', text, video)
    text_part = torch.einsum(
        'abt,at->ab',
        inter.amax(dim=3),
        masked_token_weights(text_weight_logits, text_mask),
    )
    video_part = torch.einsum(
        'abv,bv->ab',
        inter.amax(dim=2),
        masked_token_weights(video_weight_logits, video_mask),
    )
    return (text_part + video_part) / 2.0


def _inverse(order: Tensor) -> Tensor:
    """Inverse permutation of ``order``."""
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    return inverse
