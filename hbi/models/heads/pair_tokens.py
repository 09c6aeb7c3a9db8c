"""The tokens each (text, video) pair's Banzhaf game is played on."""

from typing import Dict, NamedTuple, Optional

from torch import Tensor, nn

Features = Dict[str, Tensor]


class PairTokens(NamedTuple):
    """Tokens of pairs at one level, with masks (``pair_tokens`` of
    :class:`~hbi.models.heads.HierarchicalBanzhafHead`).

    Attributes:
        text (Tensor): (P, Lt, D), reconstructed with the pair's video when
            there is a reconstruction neck, else the single-modal tokens.
        text_mask (Tensor | None): (P, Lt), None at merged levels.
        video (Tensor): (P, Lv, D), likewise.
        video_mask (Tensor | None): (P, Lv).
        text_single (Tensor): The single-modal text tokens, (P, Lt, D).
        video_single (Tensor): The single-modal video tokens, (P, Lv, D).
    """

    text: Tensor
    text_mask: Optional[Tensor]
    video: Tensor
    video_mask: Optional[Tensor]
    text_single: Tensor
    video_single: Tensor


def _side(features: Features, level: str, index: Optional[Tensor]) -> tuple:
    tokens = features[f'{level}_tokens']
    mask = features.get(f'{level}_mask')
    if index is None:
        return tokens, mask
    return tokens[index], None if mask is None else mask[index]


def select_pair_tokens(
    text_features: Features,
    video_features: Features,
    level: str,
    text_index: Optional[Tensor],
    video_index: Optional[Tensor],
    reconstruction: Optional[nn.Module],
    step: int,
) -> PairTokens:
    """Tokens of the pairs ``(text_index[p], video_index[p])`` (None as both:
    the positive pairs b, b) at ``level`` (``step`` = its position),
    re-expressed by ``reconstruction`` if given: each side with the pair's
    other side, words with frames and frames with words.

    Shape:
        - text_index, video_index: (P,).
    """
    if text_index is not None and reconstruction is not None:
        return _indexed_pairs(
            text_features,
            video_features,
            level,
            text_index,
            video_index,
            reconstruction,
            step,
        )
    text, text_mask = _side(text_features, level, text_index)
    video, video_mask = _side(video_features, level, video_index)
    if text.shape[0] != video.shape[0]:
        raise ValueError(
            f'pair tokens: got {text.shape[0]} texts and {video.shape[0]} '
            'videos for the pairs'
        )
    if reconstruction is None:
        return PairTokens(text, text_mask, video, video_mask, text, video)
    return PairTokens(
        reconstruction(text, text_mask, video, video_mask, step),
        text_mask,
        reconstruction(video, video_mask, text, text_mask, step),
        video_mask,
        text,
        video,
    )


def _indexed_pairs(
    text_features: Features,
    video_features: Features,
    level: str,
    text_index: Tensor,
    video_index: Tensor,
    reconstruction: nn.Module,
    step: int,
) -> PairTokens:
    """Given pairs of items: the neck's per-item work once per item."""
    if text_index.shape != video_index.shape:
        raise ValueError(
            f'pair tokens: got {len(text_index)} text indices and '
            f'{len(video_index)} video indices for the pairs'
        )
    text = text_features[f'{level}_tokens']
    video = video_features[f'{level}_tokens']
    text_mask = text_features.get(f'{level}_mask')
    video_mask = video_features.get(f'{level}_mask')
    return PairTokens(
        reconstruction.forward_pairs(
            text, text_mask, text_index, video, video_mask, video_index, step
        ),
        None if text_mask is None else text_mask[text_index],
        reconstruction.forward_pairs(
            video, video_mask, video_index, text, text_mask, text_index, step
        ),
        None if video_mask is None else video_mask[video_index],
        text[text_index],
        video[video_index],
    )
