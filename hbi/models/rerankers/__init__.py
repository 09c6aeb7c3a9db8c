from .base_reranker import BaseReranker
from .fusion_reranker import FusionReranker
from .reranking_stage import (
    pair_lookup,
    rerank_ranked_lists,
    rerank_scores,
    score_pairs,
    top_k_indices,
)
from .similarity_reranker import SimilarityReranker

__all__ = [
    'BaseReranker',
    'FusionReranker',
    'SimilarityReranker',
    'pair_lookup',
    'rerank_ranked_lists',
    'rerank_scores',
    'score_pairs',
    'top_k_indices',
]
