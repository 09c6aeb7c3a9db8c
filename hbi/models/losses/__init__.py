from .banzhaf_distillation_loss import (
    BanzhafDistillationLoss,
    reverse_axes,
    softmax_kl_divergence,
)
from .caption_cross_entropy_loss import CaptionCrossEntropyLoss
from .cascade_fusion_loss import CascadeFusionLoss, hardest_negatives
from .clover_loss import CloverLoss
from .contrastive_loss import SymmetricInfoNCELoss, symmetric_info_nce
from .level_distillation_loss import LevelDistillationLoss
from .multi_level_alignment_loss import MultiLevelAlignmentLoss
from .retrieval_extra_loss import BaseRetrievalLoss, RetrievalLossBatch
from .token_aware_contrastive_loss import (
    TokenAwareContrastiveLoss,
    token_aware_contrastive,
)
from .tri_modal_alignment import pairwise_ranking, tri_modal_alignment

__all__ = [
    'BanzhafDistillationLoss',
    'BaseRetrievalLoss',
    'CascadeFusionLoss',
    'CloverLoss',
    'CaptionCrossEntropyLoss',
    'LevelDistillationLoss',
    'MultiLevelAlignmentLoss',
    'RetrievalLossBatch',
    'SymmetricInfoNCELoss',
    'TokenAwareContrastiveLoss',
    'hardest_negatives',
    'pairwise_ranking',
    'reverse_axes',
    'softmax_kl_divergence',
    'symmetric_info_nce',
    'token_aware_contrastive',
    'tri_modal_alignment',
]
