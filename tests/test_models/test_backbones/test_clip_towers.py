"""CLIP towers: arch presets, shapes, attention back-ends, checkpointing."""

import pytest
import torch

from hbi.models.backbones import (
    CLIP_ARCHS,
    CLIP_MEAN,
    CLIP_STD,
    CLIPTextTower,
    CLIPVisionTower,
    resolve_clip_arch,
)
from hbi.registry import MODELS

SMALL = dict(
    embed_dim=24,
    vision=dict(image_size=16, patch_size=8, width=32, layers=2, heads=4),
    text=dict(vocab_size=100, context_length=12, width=40, layers=2, heads=4),
)


def _text_inputs():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 100, (3, 9), generator=gen)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 5:], mask[2, 2:] = 0, 0
    return ids * mask, mask


def test_presets():
    b32 = resolve_clip_arch('ViT-B/32')
    assert b32 == dict(
        embed_dim=512,
        vision=dict(
            image_size=224, patch_size=32, width=768, layers=12, heads=12
        ),
        text=dict(
            vocab_size=49408, context_length=77, width=512, layers=12, heads=8
        ),
    )
    b16 = resolve_clip_arch('ViT-B/16')
    assert b16['vision']['patch_size'] == 16
    assert dict(b16, vision=None) == dict(b32, vision=None)
    assert resolve_clip_arch('tiny') == dict(
        embed_dim=64,
        vision=dict(image_size=32, patch_size=8, width=64, layers=2, heads=2),
        text=dict(
            vocab_size=49408, context_length=77, width=64, layers=2, heads=2
        ),
    )
    # A resolved arch is a copy: editing it leaves the preset alone.
    b32['vision']['layers'] = 1
    assert CLIP_ARCHS['ViT-B/32']['vision']['layers'] == 12
    assert CLIP_MEAN == (0.48145466, 0.4578275, 0.40821073)
    assert CLIP_STD == (0.26862954, 0.26130258, 0.27577711)


def test_arch_dict_overrides_and_errors():
    arch = resolve_clip_arch(
        dict(base='tiny', embed_dim=32, text=dict(layers=3))
    )
    assert arch['embed_dim'] == 32 and arch['text']['layers'] == 3
    assert arch['text']['width'] == 64 and arch['vision']['layers'] == 2
    assert resolve_clip_arch(SMALL) == SMALL
    with pytest.raises(ValueError, match=r"\['depth', 'text.dropout'\]"):
        resolve_clip_arch(dict(base='tiny', depth=3, text=dict(dropout=0.1)))
    with pytest.raises(ValueError, match="unknown CLIP preset 'ViT-L/14'"):
        resolve_clip_arch('ViT-L/14')
    with pytest.raises(ValueError, match=r'missing fields .*vision.heads'):
        resolve_clip_arch(
            dict(embed_dim=8, vision=dict(width=32), text=SMALL['text'])
        )
    with pytest.raises(ValueError, match='not divisible'):
        resolve_clip_arch(dict(base='tiny', text=dict(heads=3)))
    with pytest.raises(ValueError, match='attn_implementation'):
        CLIPTextTower(SMALL, attn_implementation='flash')


def test_build_from_registry_and_shapes():
    text = MODELS.build(dict(type='CLIPTextTower', arch=SMALL))
    vision = MODELS.build(dict(type='CLIPVisionTower', arch=SMALL))
    assert (text.embed_dim, text.width, text.context_length) == (24, 40, 12)
    assert text.position_embedding.shape == (12, 40)
    assert len(text.layers) == 2
    assert (vision.embed_dim, vision.width) == (24, 32)
    ids, mask = _text_inputs()
    assert text(ids, mask).shape == (3, 9, 24)
    assert vision(torch.randn(5, 3, 16, 16)).shape == (5, 24)
    with pytest.raises(ValueError, match='13 tokens exceed the context'):
        text(torch.ones(1, 13, dtype=torch.long), torch.ones(1, 13))


def test_padded_tokens_do_not_change_real_tokens():
    text = CLIPTextTower(SMALL).eval()
    ids, mask = _text_inputs()
    other = torch.where(mask.bool(), ids, torch.full_like(ids, 57))
    with torch.no_grad():
        a, b = text(ids, mask), text(other, mask)
    real = mask.bool()
    torch.testing.assert_close(a[real], b[real])
    assert not torch.allclose(a[~real], b[~real])


def test_eager_and_sdpa_agree():
    torch.manual_seed(0)
    sdpa_text = CLIPTextTower(SMALL, attn_implementation='sdpa').eval()
    sdpa_vision = CLIPVisionTower(SMALL, attn_implementation='sdpa').eval()
    eager_text = CLIPTextTower(SMALL, attn_implementation='eager').eval()
    eager_vision = CLIPVisionTower(SMALL, attn_implementation='eager').eval()
    eager_text.load_state_dict(sdpa_text.state_dict())
    eager_vision.load_state_dict(sdpa_vision.state_dict())
    assert eager_text.text_model.config._attn_implementation == 'eager'
    assert sdpa_vision.vision_model.config._attn_implementation == 'sdpa'
    ids, mask = _text_inputs()
    pixels = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        real = mask.bool()
        torch.testing.assert_close(
            eager_text(ids, mask)[real],
            sdpa_text(ids, mask)[real],
            atol=1e-5,
            rtol=1e-5,
        )
        torch.testing.assert_close(
            eager_vision(pixels), sdpa_vision(pixels), atol=1e-5, rtol=1e-5
        )


@pytest.mark.parametrize('tower_type', ['text', 'vision'])
def test_gradient_checkpointing_trains_and_matches(tower_type):
    torch.manual_seed(0)
    cls = CLIPTextTower if tower_type == 'text' else CLIPVisionTower
    plain = cls(SMALL).train()
    ckpt = cls(SMALL, gradient_checkpointing=True).train()
    ckpt.load_state_dict(plain.state_dict())
    # Recomputation in backward runs each block's MLP a second time.
    calls = {id(plain): 0, id(ckpt): 0}
    for model in (plain, ckpt):
        inner = (
            model.text_model if tower_type == 'text' else model.vision_model
        )

        def count(*_, key=id(model)):
            calls[key] += 1

        inner.encoder.layers[0].mlp.register_forward_pre_hook(count)
    if tower_type == 'text':
        ids, mask = _text_inputs()
        outputs = [m(ids, mask)[mask.bool()] for m in (plain, ckpt)]
    else:
        pixels = torch.randn(4, 3, 16, 16)
        outputs = [m(pixels) for m in (plain, ckpt)]
    torch.testing.assert_close(outputs[0], outputs[1])
    for out in outputs:
        out.square().sum().backward()
    grads = [
        {n: p.grad for n, p in m.named_parameters()} for m in (plain, ckpt)
    ]
    assert all(g is not None for g in grads[1].values())
    assert (calls[id(plain)], calls[id(ckpt)]) == (1, 2)
    for name, grad in grads[0].items():
        if grad is not None:
            torch.testing.assert_close(grads[1][name], grad, msg=name)
