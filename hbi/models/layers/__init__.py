from .banzhaf_estimator import BanzhafEstimator
from .gated_cross_attention import GatedCrossAttention
from .pooled_answer_classifier import (
    PooledAnswerClassifier,
    weighted_token_pool,
)
from .token_merging import (
    ClusterTokenMerge,
    TokenClusterBlock,
    dpc_knn_cluster,
    merge_clusters,
)
from .weighted_token_interaction import (
    TokenWeightHead,
    masked_token_weights,
    normalize_tokens,
    paired_token_interaction,
    positive_pair_interaction,
    weighted_token_interaction,
)

__all__ = [
    'BanzhafEstimator',
    'ClusterTokenMerge',
    'GatedCrossAttention',
    'PooledAnswerClassifier',
    'TokenClusterBlock',
    'dpc_knn_cluster',
    'merge_clusters',
    'TokenWeightHead',
    'masked_token_weights',
    'normalize_tokens',
    'paired_token_interaction',
    'positive_pair_interaction',
    'weighted_token_interaction',
    'weighted_token_pool',
]
