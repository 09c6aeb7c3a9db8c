from .caption_head import CaptionHead
from .hierarchical_banzhaf_head import (
    HierarchicalBanzhafHead,
    cat_features,
    index_select_features,
)
from .mean_pooling_head import MeanPoolingHead
from .pair_tokens import PairTokens, select_pair_tokens
from .released_hbi_names import (
    convert_released_hbi_head,
    released_head_key_to_hbi,
)

__all__ = [
    'CaptionHead',
    'HierarchicalBanzhafHead',
    'MeanPoolingHead',
    'PairTokens',
    'select_pair_tokens',
    'cat_features',
    'index_select_features',
    'convert_released_hbi_head',
    'released_head_key_to_hbi',
]
