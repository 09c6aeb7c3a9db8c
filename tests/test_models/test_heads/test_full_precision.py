"""Heads inside autocast: float32 results equal to those without autocast.

CPU autocast stands in for CUDA's: the wrapper switches off both.
"""

import pytest
import torch

from hbi.models.heads.full_precision import full_precision, to_float32
from hbi.models.layers import BanzhafEstimator
from hbi.registry import MODELS

D = 16
DTYPES = [torch.float16, torch.bfloat16]


def _head(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / 'teacher.pth'
    torch.save(BanzhafEstimator(8).state_dict(), path)
    return MODELS.build(
        dict(
            type='HierarchicalBanzhafHead',
            embed_dim=D,
            num_heads=2,
            estimator_channels=8,
            teacher_checkpoint=str(path),
            rate=(1.0, 1.0, 1.0),
        )
    )


def _pairs(num=4):
    gen = torch.Generator().manual_seed(1)
    text = torch.randn(num, 10, D, generator=gen) * 3
    video = torch.randn(num, 6, D, generator=gen) * 3
    text_mask = torch.ones(num, 10)
    text_mask[0, 4:] = 0  # padded logits get -9e15: no float16 value
    video_mask = torch.ones(num, 6)
    video_mask[1, 3:] = 0
    return text, text_mask, video, video_mask


def test_to_float32_casts_floating_tensors_in_containers():
    out = to_float32(
        (
            {
                'a': torch.ones(2, dtype=torch.float16),
                'i': torch.ones(2, dtype=torch.long),
            },
            [torch.ones(1, dtype=torch.bfloat16)],
            3,
        )
    )
    assert out[0]['a'].dtype == torch.float32
    assert out[0]['i'].dtype == torch.long
    assert out[1][0].dtype == torch.float32
    assert out[2] == 3


def test_full_precision_switches_autocast_off_only_inside():
    seen = {}

    class Probe:
        @full_precision
        def method(self, x):
            seen['autocast'] = torch.is_autocast_enabled('cpu')
            seen['dtype'] = x.dtype
            weight = torch.ones(2, 2, dtype=x.dtype)
            return torch.nn.functional.linear(x, weight)

    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = Probe().method(torch.ones(1, 2, dtype=torch.bfloat16))
        assert torch.is_autocast_enabled('cpu')
    assert seen == {'autocast': False, 'dtype': torch.float32}
    assert out.dtype == torch.float32
    # Without autocast the input is left alone (no cast to float32).
    out = Probe().method(torch.ones(1, 2, dtype=torch.float64))
    assert seen == {'autocast': False, 'dtype': torch.float64}
    assert out.dtype == torch.float64


@pytest.mark.parametrize('dtype', DTYPES)
def test_hbi_head_under_autocast_matches_float32(tmp_path, dtype):
    head = _head(tmp_path).eval()
    text, text_mask, video, video_mask = _pairs()
    with torch.no_grad():
        ref_t = head.encode_text(text, text_mask)
        ref_v = head.encode_video(video, video_mask)
        ref = head.similarity(ref_t, ref_v)
        with torch.autocast('cpu', dtype=dtype):
            # Inputs as a half-precision tower would hand them over.
            feats_t = head.encode_text(text.to(dtype), text_mask)
            feats_v = head.encode_video(video.to(dtype), video_mask)
            sims = head.similarity(feats_t, feats_v)
        # The float32 head, no autocast, on the inputs rounded to dtype.
        rounded = head.similarity(
            head.encode_text(text.to(dtype).float(), text_mask),
            head.encode_video(video.to(dtype).float(), video_mask),
        )
    for key in ref_t:
        assert feats_t[key].dtype == torch.float32, key
    # Every level is exactly the float32 computation on the rounded inputs:
    # nothing inside the head ran in half precision.
    for key in ('entity', 'action', 'event', 'fused'):
        assert sims[key].dtype == torch.float32
        torch.testing.assert_close(sims[key], rounded[key], atol=0, rtol=0)
    # Against the unrounded inputs: the entity level follows the rounding
    # smoothly; with float16 (10-bit mantissa) the clusters are unchanged
    # here, so the merged levels follow too; bfloat16's 7 bits move tokens
    # across cluster boundaries, which changes merged levels by design.
    if dtype == torch.float16:
        for key in ('entity', 'action', 'event', 'fused'):
            torch.testing.assert_close(sims[key], ref[key], atol=3e-3, rtol=0)
    else:
        torch.testing.assert_close(
            sims['entity'], ref['entity'], atol=2e-2, rtol=0
        )
    # Exactly float32 when the inputs are already float32.
    with torch.no_grad(), torch.autocast('cpu', dtype=dtype):
        same = head.similarity(
            head.encode_text(text, text_mask),
            head.encode_video(video, video_mask),
        )
    for key in ref:
        torch.testing.assert_close(same[key], ref[key], atol=1e-6, rtol=0)


@pytest.mark.parametrize('dtype', DTYPES)
def test_hbi_head_loss_under_autocast_is_finite_and_matches(tmp_path, dtype):
    head = _head(tmp_path).train()
    text, text_mask, video, video_mask = _pairs()
    scale = torch.tensor(4.6052)

    def losses():
        return head.loss(
            head.encode_text(text, text_mask),
            head.encode_video(video, video_mask),
            scale,
        )

    ref = losses()
    with torch.autocast('cpu', dtype=dtype):
        out = losses()
    assert set(out) == set(ref) and any('banzhaf' in k for k in out)
    for key, value in out.items():
        assert value.dtype == torch.float32
        torch.testing.assert_close(value, ref[key], atol=1e-5, rtol=1e-4)
    sum(out.values()).backward()
    grads = [p.grad for p in head.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_mean_pooling_head_under_autocast_is_float32():
    head = MODELS.build(dict(type='MeanPoolingHead'))
    text, text_mask, video, video_mask = _pairs()
    ref = head.similarity(
        head.encode_text(text, text_mask), head.encode_video(video, video_mask)
    )['fused']
    with torch.autocast('cpu', dtype=torch.float16):
        out = head.similarity(
            head.encode_text(text.half(), text_mask),
            head.encode_video(video.half(), video_mask),
        )['fused']
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=3e-3, rtol=0)
