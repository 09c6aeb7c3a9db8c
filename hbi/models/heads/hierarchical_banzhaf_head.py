"""Hierarchical Banzhaf Interaction head (docs/en/methods/hbi.md A4-A10)."""

import logging
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule, normal_init
from torch import Tensor, nn

from hbi.registry import MODELS
from hbi.utils.pretrained_files import (
    weights_come_from_checkpoint,
)

from ..layers import (
    BanzhafEstimator,
    ClusterTokenMerge,
    TokenClusterBlock,
    TokenWeightHead,
    weighted_token_interaction,
)
from ..losses.banzhaf_distillation_loss import BanzhafDistillationLoss
from ..losses.level_distillation_loss import LevelDistillationLoss
from .banzhaf_teacher_file import load_teacher_file
from .full_precision import full_precision
from .hierarchical_banzhaf_objective import HierarchicalBanzhafObjective
from .pair_tokens import PairTokens, select_pair_tokens

LEVELS = ('entity', 'action', 'event')
Features = Dict[str, Tensor]


def index_select_features(
    features: Features, index: Union[Tensor, slice]
) -> Features:
    """Items ``index`` of encoded features (every tensor's first dim)."""
    return {key: value[index] for key, value in features.items()}


def cat_features(features: Sequence[Features]) -> Features:
    """Concatenate encoded features of several item blocks."""
    return {
        key: torch.cat([feats[key] for feats in features])
        for key in features[0]
    }


@MODELS.register_module()
class HierarchicalBanzhafHead(HierarchicalBanzhafObjective, BaseModule):
    """Entity/action/event WTI similarities, merging, Banzhaf distillation.

    Encoded features are plain dicts of tensors whose first dim is the item:
    ``'{level}_tokens'`` (N, L_level, D), ``'{level}_weight_logits'``
    (N, L_level) for each level, and ``'entity_mask'`` (N, L) (merged levels
    have no padding). Slice/concatenate them with
    :func:`index_select_features` / :func:`cat_features`; gather them across
    ranks key by key.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_levels (int): 1 (entity), 2 (+action) or 3 (+event). Defaults
            to 3.
        num_heads (int): Heads of the TCBlocks. Defaults to 8.
        text_merge_rates (Sequence[float]): Cluster rates of the text merge
            steps. Defaults to (0.25, 0.5).
        video_merge_rates (Sequence[float]): Same for video. Defaults to
            (0.25, 0.5).
        cluster_k (int): DPC-KNN neighbours. Defaults to 3.
        rate (Sequence[float]): Inference weight of each level's similarity,
            one per level (a longer sequence is cut to ``num_levels``).
            Defaults to (1, 0, 0).
        skl (float): Weight of the Banzhaf distillation. Defaults to 1.0.
        kl (float): Weight of the self-distillation. Defaults to 2.0.
        teacher_checkpoint (str, optional): File of the trained estimator
            (teacher) weights, read when the head is built (a missing file
            is an error saying where to get it; not read inside
            :func:`hbi.utils.pretrained_files.weights_from_checkpoint`).
            None turns the Banzhaf terms off. Defaults to None.
        estimator_channels (int): Estimator width. Defaults to 64.
        detach_self_distill_target (bool): Detach ``s_entity`` in the
            self-distillation (the release does not). Defaults to False.
        mask_padded_inputs (bool): Zero padded tokens before merging, making
            the merged levels independent of what padded slots hold (the
            release does not; its token conv sees them). Defaults to False.
        reconstruction (dict, optional): The journal version's
            reconstruction neck (``CrossModalReconstruction``; its
            ``embed_dim`` and ``num_levels`` default to the head's): the
            Banzhaf maps of the positive pairs are then computed on
            reconstructed tokens, with ``loss_reconstruction_{level}``
            (``docs/en/methods/hbi_v2.md``). The similarity is unchanged.
            None (default): the released computation.
        mask_entity_banzhaf (bool): Mask the entity level's student and
            teacher maps before their KL (the retrieval release does; its QA
            model does not). Defaults to True.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - encode_text/encode_video: tokens (B, L, D), mask (B, L).
        - similarity: dict of (Nt, Nv).
    """

    def __init__(
        self,
        embed_dim: int = 512,
        num_levels: int = 3,
        num_heads: int = 8,
        text_merge_rates: Sequence[float] = (0.25, 0.5),
        video_merge_rates: Sequence[float] = (0.25, 0.5),
        cluster_k: int = 3,
        rate: Sequence[float] = (1.0, 0.0, 0.0),
        skl: float = 1.0,
        kl: float = 2.0,
        teacher_checkpoint: Optional[str] = None,
        estimator_channels: int = 64,
        detach_self_distill_target: bool = False,
        mask_padded_inputs: bool = False,
        reconstruction: Optional[dict] = None,
        mask_entity_banzhaf: bool = True,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_levels not in (1, 2, 3):
            raise ValueError(
                f'HierarchicalBanzhafHead: num_levels must be 1, '
                f'2 or 3, got {num_levels}'
            )
        for name, rates in (
            ('text_merge_rates', text_merge_rates),
            ('video_merge_rates', video_merge_rates),
        ):
            if len(rates) < num_levels - 1:
                raise ValueError(
                    f'HierarchicalBanzhafHead: {name} needs '
                    f'{num_levels - 1} rates, got {rates}'
                )
        if len(rate) < num_levels:
            raise ValueError(
                f'HierarchicalBanzhafHead: rate needs '
                f'{num_levels} values, got {rate}'
            )
        self.embed_dim = embed_dim
        self.levels = LEVELS[:num_levels]
        self.rate = tuple(float(r) for r in rate[:num_levels])
        self.mask_padded_inputs = mask_padded_inputs
        self.mask_entity_banzhaf = mask_entity_banzhaf
        steps = range(num_levels - 1)
        self.text_weight_heads = nn.ModuleList(
            TokenWeightHead(embed_dim) for _ in self.levels
        )
        self.video_weight_heads = nn.ModuleList(
            TokenWeightHead(embed_dim) for _ in self.levels
        )
        self.text_merges = nn.ModuleList(
            ClusterTokenMerge(embed_dim, text_merge_rates[i], cluster_k)
            for i in steps
        )
        self.text_blocks = nn.ModuleList(
            TokenClusterBlock(embed_dim, num_heads) for _ in steps
        )
        self.video_merges = nn.ModuleList(
            ClusterTokenMerge(embed_dim, video_merge_rates[i], cluster_k)
            for i in steps
        )
        self.video_blocks = nn.ModuleList(
            TokenClusterBlock(embed_dim, num_heads) for _ in steps
        )
        # Release initialisation (its ``init_weights``): Linear N(0, 0.02),
        # zero bias; LayerNorm/conv keep PyTorch's defaults.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                normal_init(module, std=0.02, bias=0.0)
        self.banzhaf_estimators = nn.ModuleList(
            BanzhafEstimator(estimator_channels) for _ in self.levels
        )
        self.teacher = BanzhafEstimator(estimator_channels)
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.reconstruction = None
        if reconstruction is not None:
            neck = dict(reconstruction)
            neck.setdefault('embed_dim', embed_dim)
            neck.setdefault('num_levels', num_levels)
            self.reconstruction = MODELS.build(neck)
        self.banzhaf_loss = BanzhafDistillationLoss(loss_weight=skl)
        self.self_distill_loss = LevelDistillationLoss(
            loss_weight=kl, detach_target=detach_self_distill_target
        )
        self.use_banzhaf = teacher_checkpoint is not None
        if self.use_banzhaf:
            if not weights_come_from_checkpoint():
                self._load_teacher(teacher_checkpoint)
        else:
            print_log(
                'HierarchicalBanzhafHead: teacher_checkpoint is None, so the '
                'Banzhaf distillation terms (loss_banzhaf_*) are off.',
                logger='current',
                level=logging.WARNING,
            )

    def _load_teacher(self, path: str) -> None:
        """Load the frozen teacher from the released estimator file."""
        load_teacher_file(self.teacher, path)

    def train(self, mode: bool = True) -> 'HierarchicalBanzhafHead':
        """Set train/eval mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def _encode(
        self,
        tokens: Tensor,
        mask: Optional[Tensor],
        weight_heads: nn.ModuleList,
        merges: nn.ModuleList,
        blocks: nn.ModuleList,
        name: str,
    ) -> Features:
        if tokens.dim() != 3 or tokens.shape[-1] != self.embed_dim:
            raise ValueError(
                f'{name}: tokens must be (B, L, {self.embed_dim})'
                f', got {tuple(tokens.shape)}'
            )
        if mask is None:
            mask = tokens.new_ones(tokens.shape[:2])
        if tuple(mask.shape) != tuple(tokens.shape[:2]):
            raise ValueError(
                f'{name}: mask must be {tuple(tokens.shape[:2])},'
                f' got {tuple(mask.shape)}'
            )
        mask = (mask > 0).to(tokens.dtype)
        features = {
            'entity_tokens': tokens,
            'entity_mask': mask,
            'entity_weight_logits': weight_heads[0](tokens),
        }
        step_mask: Optional[Tensor] = mask
        if self.mask_padded_inputs:
            tokens = tokens * mask.unsqueeze(-1)
        for step, level in enumerate(self.levels[1:]):
            merged, step_tokens, score = merges[step](tokens, step_mask)
            tokens = blocks[step](merged, step_tokens, score)
            step_mask = None  # merged tokens are all real
            features[f'{level}_tokens'] = tokens
            features[f'{level}_weight_logits'] = weight_heads[step + 1](tokens)
        return features

    @full_precision
    def encode_text(
        self, tokens: Tensor, mask: Optional[Tensor] = None
    ) -> Features:
        """Per-level text features, computed once per text.

        Args:
            tokens (Tensor): Projected text tokens, (B, Lt, D).
            mask (Tensor, optional): 1 on real tokens, (B, Lt).

        Returns:
            dict[str, Tensor]: See the class docstring.
        """
        return self._encode(
            tokens,
            mask,
            self.text_weight_heads,
            self.text_merges,
            self.text_blocks,
            'encode_text',
        )

    @full_precision
    def encode_video(
        self, tokens: Tensor, mask: Optional[Tensor] = None
    ) -> Features:
        """Per-level video features, computed once per video.

        Args:
            tokens (Tensor): Frame features, (B, Lv, D).
            mask (Tensor, optional): 1 on real frames, (B, Lv).

        Returns:
            dict[str, Tensor]: See the class docstring.
        """
        return self._encode(
            tokens,
            mask,
            self.video_weight_heads,
            self.video_merges,
            self.video_blocks,
            'encode_video',
        )

    @full_precision
    def similarity(
        self,
        text_features: Features,
        video_features: Features,
        levels: Optional[Sequence[str]] = None,
    ) -> Dict[str, Tensor]:
        """WTI similarity of every text with every video at every level.

        Any block of texts/videos gives exactly the matching block of the
        full matrices. Callers need not block for memory: the interaction
        works in tiles whose intermediate is a few MiB (see
        :func:`weighted_token_interaction`); peak memory is the features'
        normalised copies plus the (Nt, Nv) outputs.

        Args:
            text_features (dict[str, Tensor]): From :meth:`encode_text`.
            video_features (dict[str, Tensor]): From :meth:`encode_video`.
            levels (Sequence[str], optional): Outputs to compute, among the
                configured levels and ``'fused'``; ``'fused'`` alone computes
                only the levels whose ``rate`` is not 0. None (default)
                computes all of them.

        Returns:
            dict[str, Tensor]: ``entity``/``action``/``event`` (the configured
            levels) and ``fused`` = sum of ``rate[l] * s_l``, each (Nt, Nv);
            only those in ``levels`` if it is given.
        """
        wanted = self._similarity_outputs(levels)
        needed = [
            level
            for level, rate in zip(self.levels, self.rate)
            if level in wanted or ('fused' in wanted and rate != 0)
        ]
        sims = {}
        for level in needed:
            sims[level] = weighted_token_interaction(
                text_features[f'{level}_tokens'],
                text_features.get(f'{level}_mask'),
                text_features[f'{level}_weight_logits'],
                video_features[f'{level}_tokens'],
                video_features.get(f'{level}_mask'),
                video_features[f'{level}_weight_logits'],
            )
        if 'fused' in wanted:
            fused = [
                r * sims[level]
                for r, level in zip(self.rate, self.levels)
                if level in sims and r != 0
            ]
            if not fused:  # every rate is 0
                fused = [
                    text_features['entity_tokens'].new_zeros(
                        text_features['entity_tokens'].shape[0],
                        video_features['entity_tokens'].shape[0],
                    )
                ]
            sims['fused'] = sum(fused)
        return {key: sims[key] for key in wanted}

    def _similarity_outputs(
        self, levels: Optional[Sequence[str]]
    ) -> Sequence[str]:
        """Checked output names of :meth:`similarity`, in its key order."""
        known = (*self.levels, 'fused')
        if levels is None:
            return known
        if isinstance(levels, str):
            levels = (levels,)
        unknown = [name for name in levels if name not in known]
        if unknown or not levels:
            raise ValueError(
                'HierarchicalBanzhafHead.similarity: levels must '
                f'be a non-empty subset of {known}, got '
                f'{tuple(levels)}'
            )
        return tuple(name for name in known if name in levels)

    @full_precision
    def pair_tokens(
        self,
        text_features: Features,
        video_features: Features,
        level: str,
        text_index: Optional[Tensor] = None,
        video_index: Optional[Tensor] = None,
    ) -> PairTokens:
        """Tokens of the pairs ``(text_index[p], video_index[p])`` at
        ``level`` that the Banzhaf game and its estimators see.

        With the reconstruction neck, each side is re-expressed with the
        pair's other side (words with the frames, frames with the words);
        without it they are the single-modal tokens (the released
        computation). None as both indices means the positive pairs
        (text b with video b).

        Returns:
            PairTokens: Reconstructed and single-modal tokens, with masks.
        """
        if level not in self.levels:
            raise ValueError(
                f'HierarchicalBanzhafHead.pair_tokens: level {level!r} is '
                f'not one of {self.levels}'
            )
        return select_pair_tokens(
            text_features,
            video_features,
            level,
            text_index,
            video_index,
            self.reconstruction,
            self.levels.index(level),
        )
