"""A retriever's ``reranker`` config and ``rerank_scores``."""

import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.registry import MODELS
from tests.test_models.test_retrievers.banzhaf_helpers import (
    tiny_retriever_cfg,
)

HEAD = dict(
    type='HierarchicalBanzhafHead', embed_dim=32, num_heads=2, num_levels=3
)


def _model(**kwargs):
    init_default_scope('hbi')
    torch.manual_seed(0)
    return MODELS.build(dict(tiny_retriever_cfg(HEAD), **kwargs)).eval()


def test_rerank_scores_pick_pairs_of_the_similarity():
    model = _model(
        reranker=dict(type='SimilarityReranker', key='event', k=4, weight=2)
    )
    assert (model.reranker.k, model.reranker.weight) == (4, 2.0)
    # the reranker adds no weights: v1 checkpoints keep loading
    assert model.state_dict().keys() == _model().state_dict().keys()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        text = model.head.encode_text(
            torch.randn(3, 7, 32, generator=g), torch.ones(3, 7)
        )
        video = model.head.encode_video(
            torch.randn(4, 12, 32, generator=g), torch.ones(4, 12)
        )
        event = model.similarity(text, video)['event']
        ti, vi = torch.tensor([2, 0, 2, 1]), torch.tensor([3, 3, 0, 1])
        got = model.rerank_scores(text, video, ti, vi)
    torch.testing.assert_close(got, event[ti, vi])


def test_missing_reranker_and_bad_depth():
    with pytest.raises(RuntimeError, match='no reranker'):
        _model().rerank_scores({}, {}, torch.zeros(1), torch.zeros(1))
    with pytest.raises(ValueError, match='k must be a positive int'):
        _model(reranker=dict(type='SimilarityReranker', key='fused', k=0))
