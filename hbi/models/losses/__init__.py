from .banzhaf_distillation_loss import (
    BanzhafDistillationLoss,
    reverse_axes,
    softmax_kl_divergence,
)
from .caption_cross_entropy_loss import CaptionCrossEntropyLoss
from .contrastive_loss import SymmetricInfoNCELoss, symmetric_info_nce
from .level_distillation_loss import LevelDistillationLoss

__all__ = [
    'BanzhafDistillationLoss',
    'CaptionCrossEntropyLoss',
    'LevelDistillationLoss',
    'SymmetricInfoNCELoss',
    'reverse_axes',
    'softmax_kl_divergence',
    'symmetric_info_nce',
]
