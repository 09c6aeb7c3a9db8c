"""HBI's head with the reconstruction neck (journal version, B1): where the
neck acts, its losses, and the released computation with it off."""

import torch
import torch.nn.functional as F

from tests.test_models.test_heads.test_hierarchical_banzhaf_head import (
    _head,
    _inputs,
    _teacher_file,
)
from tests.test_models.test_necks.reconstruction_reference import (
    reference_cosine_loss,
    reference_reconstruction,
)

NECK = dict(type='CrossModalReconstruction', num_heads=2)
LEVELS = ('entity', 'action', 'event')


def _pair(head, seed=0):
    text, tm, video, vm = _inputs(seed=seed)
    return head.encode_text(text, tm), head.encode_video(video, vm)


def _positive_maps(t, tm, v, vm):
    """A_bb from the definition: cosines, 0 where either side is padded."""
    a = torch.stack(
        [
            F.cosine_similarity(t[b][:, None], v[b][None], dim=-1)
            for b in range(t.shape[0])
        ]
    )
    if tm is not None:
        a = a * tm[:, :, None] * vm[:, None, :]
    return a


def test_banzhaf_terms_use_reconstructed_maps_and_similarity_does_not(
    tmp_path,
):
    path, _ = _teacher_file(tmp_path)
    torch.manual_seed(0)
    head = _head(teacher_checkpoint=path, reconstruction=NECK)
    torch.manual_seed(0)
    released = _head(teacher_checkpoint=path)
    released.load_state_dict(head.state_dict(), strict=False)
    tf, vf = _pair(head)
    losses = head.loss(tf, vf, 3.0)
    plain = released.loss(tf, vf, 3.0)
    assert set(losses) == set(plain) | {
        f'loss_reconstruction_{lvl}' for lvl in LEVELS
    }
    # retrieval similarity, contrastive and self-distillation: unchanged
    for key in plain:
        if 'banzhaf' not in key:
            assert torch.equal(losses[key], plain[key]), key
    block = head.reconstruction.blocks[0]
    for i, lvl in enumerate(LEVELS):
        t, v = tf[f'{lvl}_tokens'], vf[f'{lvl}_tokens']
        tm, vm = tf.get(f'{lvl}_mask'), vf.get(f'{lvl}_mask')
        r_t = reference_reconstruction(block, t, tm, v, vm)
        r_v = reference_reconstruction(block, v, vm, t, tm)
        maps = _positive_maps(r_t, tm, r_v, vm)
        expected = head.banzhaf_loss(
            head.banzhaf_estimators[i](maps), head.teacher(maps), tm, vm
        )
        torch.testing.assert_close(
            losses[f'loss_banzhaf_{lvl}'], expected, atol=1e-5, rtol=1e-4
        )
        single = _positive_maps(t, tm, v, vm)
        assert not torch.allclose(maps, single, atol=1e-3)
        recon = 0.5 * (
            reference_cosine_loss(r_t, t, tm, 0.1)
            + reference_cosine_loss(r_v, v, vm, 0.1)
        )
        torch.testing.assert_close(
            losses[f'loss_reconstruction_{lvl}'], recon, atol=1e-6, rtol=1e-5
        )


def test_gradients_reach_the_neck_through_the_distillation(tmp_path):
    path, _ = _teacher_file(tmp_path)
    head = _head(
        teacher_checkpoint=path,
        reconstruction=dict(
            NECK, loss=dict(type='CosineReconstructionLoss', loss_weight=0.0)
        ),
    )
    text, tm, video, vm = _inputs()
    text.requires_grad_(True)
    video.requires_grad_(True)
    losses = head.loss(
        head.encode_text(text, tm), head.encode_video(video, vm), 3.0
    )
    banzhaf = sum(v for k, v in losses.items() if 'banzhaf' in k)
    banzhaf.backward()
    for name, p in head.reconstruction.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # and the tokens (so the towers) get the distillation's gradient too
    assert text.grad.abs().sum() > 0 and video.grad.abs().sum() > 0
    assert head.teacher.cnn1.weight.grad is None


def test_no_teacher_still_trains_the_neck_and_pair_tokens_without_neck():
    head = _head(reconstruction=dict(NECK, share_levels=False))
    assert len(head.reconstruction.blocks) == 3
    tf, vf = _pair(head)
    losses = head.loss(tf, vf, 3.0)
    assert not any('banzhaf' in k for k in losses)
    sum(losses[f'loss_reconstruction_{lvl}'] for lvl in LEVELS).backward()
    for block in head.reconstruction.blocks:
        assert block.gate.weight.grad.abs().sum() > 0
    released = _head()
    tf, vf = _pair(released)
    index = torch.tensor([2, 0])
    pairs = released.pair_tokens(tf, vf, 'entity', index, index.flip(0))
    assert torch.equal(pairs.text, tf['entity_tokens'][index])
    assert torch.equal(pairs.video_mask, vf['entity_mask'][index.flip(0)])
    assert pairs.text is pairs.text_single
