from .caption_head import CaptionHead
from .hierarchical_banzhaf_head import (
    HierarchicalBanzhafHead,
    cat_features,
    index_select_features,
)
from .level_answer_head import LevelAnswerHead
from .mean_pooling_head import MeanPoolingHead
from .released_hbi_names import (
    convert_released_hbi_head,
    released_head_key_to_hbi,
)

__all__ = [
    'CaptionHead',
    'HierarchicalBanzhafHead',
    'LevelAnswerHead',
    'MeanPoolingHead',
    'cat_features',
    'index_select_features',
    'convert_released_hbi_head',
    'released_head_key_to_hbi',
]
