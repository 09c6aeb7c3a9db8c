"""Re-ranking with reconstructed representations (final = sim + lambda *
sim_rec) against an independent computation."""

import numpy as np
import pytest
import torch

from hbi.models.rerankers import (
    ReconstructionReranker,
    rerank_scores,
    score_pairs,
    top_k_indices,
)
from tests.test_models.test_heads.test_hierarchical_banzhaf_head import (
    _head,
    _inputs,
    _wti_by_pairs,
)
from tests.test_models.test_necks.reconstruction_reference import (
    reference_reconstruction,
)

RATE = (0.6, 0.3, 0.1)


class _Model(torch.nn.Module):
    def __init__(self, head, reranker):
        super().__init__()
        self.head, self.reranker = head, reranker

    def similarity(self, text, video):
        return self.head.similarity(text, video)

    def rerank_scores(self, text, video, ti, vi):
        return self.reranker(self, text, video, ti, vi)


def _reference_sim_rec(head, tf, vf):
    """sim_rec[a, b] = sum_l rate_l * WTI of a's and b's tokens
    reconstructed with each other, pair by pair."""
    out = torch.zeros(
        tf['entity_tokens'].shape[0], vf['entity_tokens'].shape[0]
    )
    block = head.reconstruction.blocks[0]
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            for rate, lvl in zip(RATE, ('entity', 'action', 'event')):
                t = tf[f'{lvl}_tokens'][a : a + 1]
                v = vf[f'{lvl}_tokens'][b : b + 1]
                tm = tf.get(f'{lvl}_mask')
                vm = vf.get(f'{lvl}_mask')
                tm = None if tm is None else tm[a : a + 1]
                vm = None if vm is None else vm[b : b + 1]
                r_t = reference_reconstruction(block, t, tm, v, vm)
                r_v = reference_reconstruction(block, v, vm, t, tm)
                out[a, b] += (
                    rate
                    * _wti_by_pairs(
                        r_t,
                        tm,
                        tf[f'{lvl}_weight_logits'][a : a + 1],
                        r_v,
                        vm,
                        vf[f'{lvl}_weight_logits'][b : b + 1],
                    )[0, 0]
                )
    return out


def test_depth_all_equals_exhaustive_sim_plus_lambda_sim_rec():
    torch.manual_seed(0)
    head = _head(
        rate=RATE,
        reconstruction=dict(type='CrossModalReconstruction', num_heads=2),
    ).eval()
    text, tm, video, vm = _inputs(n_text=4, n_video=3)
    with torch.no_grad():
        tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
        sim = head.similarity(tf, vf)['fused'].numpy()
    reranker = ReconstructionReranker(k=3, weight=0.7)
    model = _Model(head, reranker)
    ti, vi = np.meshgrid(np.arange(4), np.arange(3), indexing='ij')
    with torch.no_grad():
        second = score_pairs(model, tf, vf, ti.ravel(), vi.ravel(), 5)
        expected = _reference_sim_rec(head, tf, vf).numpy()
    np.testing.assert_allclose(second.reshape(4, 3), expected, atol=1e-5)
    top = top_k_indices(sim, reranker.k)
    final = rerank_scores(
        sim, top, second.reshape(4, 3)[np.arange(4)[:, None], top], 0.7
    )
    np.testing.assert_allclose(final, sim + 0.7 * expected, atol=1e-5)


def test_needs_a_neck():
    head = _head()
    model = _Model(head, ReconstructionReranker(k=2))
    text, tm, video, vm = _inputs()
    tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
    with pytest.raises(ValueError, match='reconstruction neck'):
        model.rerank_scores(tf, vf, torch.tensor([0]), torch.tensor([1]))
