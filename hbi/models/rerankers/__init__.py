from .fusion_reranker import FusionReranker

__all__ = ['FusionReranker']
