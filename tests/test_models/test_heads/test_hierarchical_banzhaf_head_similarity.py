"""``HierarchicalBanzhafHead.similarity``: output selection, and equality
with A4 computed pair by pair from its definition (values, and the training
losses and gradients)."""

import pytest
import torch

import hbi.models.heads.hierarchical_banzhaf_head as head_module
from hbi.registry import MODELS
from tests.test_models.wti_reference import pairwise_wti

D = 8


def _head(**kwargs):
    cfg = dict(type='HierarchicalBanzhafHead', embed_dim=D, num_heads=2)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _features(head, n_text=6, n_video=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    text = torch.randn(n_text, 8, D, generator=gen)
    video = torch.randn(n_video, 4, D, generator=gen)
    text_mask = (
        torch.arange(8)[None] < torch.randint(1, 9, (n_text, 1), generator=gen)
    ).float()
    video_mask = (
        torch.arange(4)[None]
        < torch.randint(1, 5, (n_video, 1), generator=gen)
    ).float()
    return head.encode_text(text, text_mask), head.encode_video(
        video, video_mask
    )


def test_similarity_equals_pairwise_reference():
    head = _head(rate=(1.0, 0.5, 0.25)).eval()
    with torch.no_grad():
        tf, vf = _features(head)
        sims = head.similarity(tf, vf)
    assert list(sims) == ['entity', 'action', 'event', 'fused']
    fused = 0
    for rate, level in zip((1.0, 0.5, 0.25), head.levels):
        ref = pairwise_wti(
            tf[f'{level}_tokens'],
            tf.get(f'{level}_mask'),
            tf[f'{level}_weight_logits'],
            vf[f'{level}_tokens'],
            vf.get(f'{level}_mask'),
            vf[f'{level}_weight_logits'],
        )
        torch.testing.assert_close(
            sims[level].double(), ref, atol=1e-6, rtol=1e-6
        )
        fused = fused + rate * ref
    torch.testing.assert_close(
        sims['fused'].double(), fused, atol=1e-6, rtol=1e-6
    )


def test_levels_selects_outputs_and_skips_zero_rate_levels(monkeypatch):
    head = _head(rate=(1.0, 0.0, 0.0)).eval()
    with torch.no_grad():
        tf, vf = _features(head, seed=1)
        full = head.similarity(tf, vf)
        calls = []
        real = head_module.weighted_token_interaction

        def counting(*args, **kwargs):
            calls.append(args[0].shape[1])
            return real(*args, **kwargs)

        monkeypatch.setattr(
            head_module, 'weighted_token_interaction', counting
        )
        only_fused = head.similarity(tf, vf, levels=('fused',))
        assert list(only_fused) == ['fused']
        assert calls == [8]  # the entity level only (8 text tokens)
        torch.testing.assert_close(only_fused['fused'], full['fused'])
        calls.clear()
        picked = head.similarity(tf, vf, levels=['fused', 'event'])
        assert list(picked) == ['event', 'fused'] and len(calls) == 2
        torch.testing.assert_close(picked['event'], full['event'])
        assert list(head.similarity(tf, vf, levels='action')) == ['action']


def test_fused_with_all_rates_zero_is_zero():
    head = _head(rate=(0.0, 0.0, 0.0)).eval()
    with torch.no_grad():
        tf, vf = _features(head, seed=2)
        out = head.similarity(tf, vf, levels=['fused'])
    torch.testing.assert_close(out['fused'], torch.zeros(6, 5))


@pytest.mark.parametrize('levels', [[], ['words'], ['entity', 'fusion']])
def test_bad_levels(levels):
    head = _head(num_levels=2, rate=(1.0, 0.0)).eval()
    with torch.no_grad():
        tf, vf = _features(head, seed=3)
        with pytest.raises(ValueError, match='levels must be'):
            head.similarity(tf, vf, levels=levels)
        with pytest.raises(ValueError, match='levels must be'):
            head.similarity(tf, vf, levels=['event'])  # only 2 levels


def _float_pairwise_wti(*args):
    return pairwise_wti(*args).float()


def test_loss_and_gradients_equal_pairwise_reference(monkeypatch):
    torch.manual_seed(0)
    head = _head(rate=(1.0, 0.0, 0.0)).train()
    tf, vf = _features(head, n_text=5, n_video=5, seed=4)
    params = [p for p in head.parameters() if p.requires_grad]
    losses = head.loss(tf, vf, 2.0)
    grads = torch.autograd.grad(
        sum(losses.values()), params, retain_graph=True, allow_unused=True
    )
    monkeypatch.setattr(
        head_module, 'weighted_token_interaction', _float_pairwise_wti
    )
    ref_losses = head.loss(tf, vf, 2.0)
    ref_grads = torch.autograd.grad(
        sum(ref_losses.values()), params, allow_unused=True
    )
    assert set(losses) == set(ref_losses)
    for key in losses:
        torch.testing.assert_close(
            losses[key], ref_losses[key], atol=1e-6, rtol=1e-6
        )
    for got, ref in zip(grads, ref_grads):
        assert (got is None) == (ref is None)
        if got is not None:
            torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-4)
