from .caption_head import CaptionHead, teacher_forced_loss
from .decoder_answer_classifier_head import DecoderAnswerClassifierHead
from .hierarchical_banzhaf_head import (
    HierarchicalBanzhafHead,
    cat_features,
    index_select_features,
)
from .level_answer_head import LevelAnswerHead, LevelAnswerTaskHead
from .mean_pooling_head import MeanPoolingHead
from .open_ended_answer_head import OpenEndedAnswerHead
from .pair_tokens import PairTokens, select_pair_tokens
from .released_hbi_names import (
    convert_released_hbi_head,
    released_head_key_to_hbi,
)

__all__ = [
    'CaptionHead',
    'DecoderAnswerClassifierHead',
    'HierarchicalBanzhafHead',
    'LevelAnswerHead',
    'LevelAnswerTaskHead',
    'MeanPoolingHead',
    'PairTokens',
    'select_pair_tokens',
    'OpenEndedAnswerHead',
    'cat_features',
    'index_select_features',
    'convert_released_hbi_head',
    'released_head_key_to_hbi',
    'teacher_forced_loss',
]
