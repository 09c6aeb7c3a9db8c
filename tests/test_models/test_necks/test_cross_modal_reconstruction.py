"""The reconstruction neck against plain torch; masks; levels; its loss."""

import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.models.layers import GatedCrossAttention
from hbi.registry import MODELS
from tests.test_models.test_necks.reconstruction_reference import (
    reference_cosine_loss,
    reference_cross_attention,
    reference_reconstruction,
)

D, HEADS = 16, 4


def _block(seed=0):
    torch.manual_seed(seed)
    block = GatedCrossAttention(D, HEADS)
    # non-trivial LayerNorm affines and biases, so each one is checked
    with torch.no_grad():
        for p in block.parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.3)
    return block.eval()


def _tokens(seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 6, D, generator=g)
    other = torch.randn(3, 5, D, generator=g)
    x_mask = torch.tensor(
        [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0.0]]
    )
    other_mask = torch.tensor(
        [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0.0]]
    )
    return x, x_mask, other, other_mask


def test_cross_attention_and_gate_against_plain_torch():
    block = _block()
    x, x_mask, other, other_mask = _tokens()
    with torch.no_grad():
        got_c = block.cross_attention(x, other, other_mask)
        got = block(x, x_mask, other, other_mask)
        unmasked = block(x, None, other, None)
    torch.testing.assert_close(
        got_c[:2],
        reference_cross_attention(block, x, other, other_mask)[:2],
        atol=1e-5,
        rtol=1e-5,
    )
    torch.testing.assert_close(
        got,
        reference_reconstruction(block, x, x_mask, other, other_mask),
        atol=1e-5,
        rtol=1e-5,
    )
    torch.testing.assert_close(
        unmasked,
        reference_reconstruction(block, x, None, other, None),
        atol=1e-5,
        rtol=1e-5,
    )
    # the training path (no fast path) gives the same values
    block.train()
    torch.testing.assert_close(block(x, x_mask, other, other_mask), got)


def test_padded_tokens_never_attended_and_never_change_real_ones():
    block = _block()
    x, x_mask, other, other_mask = _tokens()
    changed_other = other.clone()
    changed_other[other_mask == 0] = 1e3 * torch.randn(
        int((other_mask == 0).sum()), D
    )
    changed_x = x.clone()
    changed_x[x_mask == 0] = 7.0
    with torch.no_grad():
        r = block(x, x_mask, other, other_mask)
        r2 = block(changed_x, x_mask, changed_other, other_mask)
    real = x_mask > 0
    torch.testing.assert_close(r[real], r2[real])
    # padded x tokens come back unchanged; nothing is NaN
    assert torch.equal(r[~real], x[~real]) and torch.isfinite(r).all()
    # item 2 has no real frame: no cross-modal part, r = LN_out(x)
    torch.testing.assert_close(
        r[2, :4], block.norm_out(x[2, :4]).detach(), atol=1e-6, rtol=1e-6
    )


def _neck(**kwargs):
    init_default_scope('hbi')
    torch.manual_seed(0)
    cfg = dict(type='CrossModalReconstruction', embed_dim=D, num_heads=HEADS)
    cfg.update(kwargs)
    return MODELS.build(cfg).eval()


def test_shared_or_per_level_modules():
    x, x_mask, other, other_mask = _tokens()
    shared = _neck(share_levels=True)
    assert len(shared.blocks) == 1
    with torch.no_grad():
        outs = [shared(x, x_mask, other, other_mask, lvl) for lvl in range(3)]
    assert torch.equal(outs[0], outs[1]) and torch.equal(outs[0], outs[2])
    torch.testing.assert_close(
        outs[0],
        reference_reconstruction(
            shared.blocks[0], x, x_mask, other, other_mask
        ),
        atol=1e-5,
        rtol=1e-5,
    )
    per_level = _neck(share_levels=False, num_levels=3)
    assert len(per_level.blocks) == 3
    with torch.no_grad():
        outs = [
            per_level(x, x_mask, other, other_mask, lvl) for lvl in range(3)
        ]
    for lvl in range(3):
        torch.testing.assert_close(
            outs[lvl],
            reference_reconstruction(
                per_level.blocks[lvl], x, x_mask, other, other_mask
            ),
            atol=1e-5,
            rtol=1e-5,
        )
    assert not torch.allclose(outs[0], outs[1])
    with pytest.raises(ValueError, match='level 3 is not in'):
        per_level(x, x_mask, other, other_mask, 3)


def test_reconstruction_loss_value_mask_and_target_gradient():
    neck = _neck(loss=dict(type='CosineReconstructionLoss', loss_weight=0.3))
    x, x_mask, other, other_mask = _tokens()
    x.requires_grad_(True)
    r = neck(x, x_mask, other, other_mask)
    loss = neck.loss(r, x, x_mask)
    torch.testing.assert_close(
        loss,
        reference_cosine_loss(r.detach(), x.detach(), x_mask, 0.3),
        atol=1e-6,
        rtol=1e-5,
    )
    # hand-checked: r = -x on one token of one item -> 1 - cos = 2
    hand = neck.loss(-torch.ones(1, 2, 3), torch.ones(1, 2, 3), None)
    assert hand.item() == pytest.approx(0.3 * 2.0)
    # the target is detached: only the path through r reaches x
    (grad_x,) = torch.autograd.grad(loss, x, retain_graph=True)
    (grad_r_path,) = torch.autograd.grad(
        neck.reconstruction_loss(r, x.detach(), x_mask), x
    )
    torch.testing.assert_close(grad_x, grad_r_path)
    with pytest.raises(ValueError, match='shapes'):
        neck.loss(r, x[:, :2], None)


def test_bad_inputs():
    with pytest.raises(ValueError, match='divisible'):
        GatedCrossAttention(10, 4)
    block = _block()
    with pytest.raises(ValueError, match='one B'):
        block(torch.zeros(2, 3, D), None, torch.zeros(3, 3, D), None)


@pytest.mark.parametrize('share_levels', [True, False])
def test_pairs_of_items_equal_the_pair_by_pair_operator(share_levels):
    """forward_pairs (per-item work once, output projection and gate folded
    into the values) gives the operator on the gathered pairs, masks and
    an item without real keys included."""
    neck = _neck(share_levels=share_levels, num_levels=2)
    with torch.no_grad():
        for p in neck.parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.3)
    x, x_mask, other, other_mask = _tokens()
    x_index = torch.tensor([0, 1, 1, 2, 0, 2, 2])
    other_index = torch.tensor([2, 0, 2, 1, 1, 0, 2])
    for level in (0, 1):
        with torch.no_grad():
            got = neck.forward_pairs(
                x, x_mask, x_index, other, other_mask, other_index, level
            )
        block = neck.blocks[0 if share_levels else level]
        want = reference_reconstruction(
            block,
            x[x_index],
            x_mask[x_index],
            other[other_index],
            other_mask[other_index],
        )
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
