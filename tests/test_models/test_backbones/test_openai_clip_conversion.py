"""OpenAI CLIP checkpoints load into the towers and reproduce OpenAI's
numbers (against the independent plain-torch reference)."""

import json
import re
import warnings

import pytest
import torch

from hbi.models.backbones import (
    CLIPTextTower,
    CLIPVisionTower,
    convert_openai_clip,
    convert_openai_resblock,
    load_openai_clip_state_dict,
    resolve_clip_arch,
)
from tests.shared_data import LAYOUTS  # noqa: E402
from tests.test_models.test_backbones.openai_clip_reference import (
    build_reference_clip,
    randomize_,
)

# Distinct widths so that a missed transpose or a q/k/v mix-up cannot pass.
SMALL = dict(
    embed_dim=24,
    vision=dict(image_size=16, patch_size=8, width=32, layers=2, heads=4),
    text=dict(vocab_size=100, context_length=12, width=40, layers=2, heads=4),
)


@pytest.fixture(scope='module')
def reference():
    torch.manual_seed(0)
    return randomize_(build_reference_clip(SMALL)).eval()


@pytest.fixture(scope='module')
def inputs():
    gen = torch.Generator().manual_seed(1)
    image = torch.randn(3, 3, 16, 16, generator=gen)
    ids = torch.randint(1, 99, (2, 12), generator=gen)
    mask = torch.ones(2, 12, dtype=torch.long)
    ids[1, 7:], mask[1, 7:] = 0, 0
    ids[0, 11], ids[1, 6] = 99, 99  # end tokens (the largest id)
    return image, ids, mask


def _save(reference, path, fmt, inputs):
    state = reference.state_dict()
    if fmt == 'plain':
        # OpenAI's archives carry these non-weight entries too.
        state = dict(
            state,
            input_resolution=torch.tensor(16),
            context_length=torch.tensor(12),
            vocab_size=torch.tensor(100),
        )
        torch.save(state, path)
    elif fmt == 'hbi_release':
        # CLIP under 'clip.' next to other modules, DDP prefix, nested.
        state = {f'module.clip.{k}': v for k, v in state.items()}
        state['module.text_weight_fc.0.weight'] = torch.zeros(3, 3)
        torch.save(dict(state_dict=state, epoch=5), path)
    elif fmt == 'torchscript':
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            traced = torch.jit.trace(reference, (inputs[0], inputs[1]))
        torch.jit.save(traced, path)


def test_reference_matches_openai_vit_b32_layout():
    """Validates the reference: names and shapes of OpenAI's ViT-B/32."""
    layout = json.load(open(LAYOUTS))['openai_clip_vit_b32']
    with torch.device('meta'):
        reference = build_reference_clip(resolve_clip_arch('ViT-B/32'))
    got = {k: list(v.shape) for k, v in reference.state_dict().items()}
    assert got == layout


def test_full_size_conversion_covers_towers_exactly():
    layout = json.load(open(LAYOUTS))['openai_clip_vit_b32']
    state = {k: torch.empty(v, device='meta') for k, v in layout.items()}
    converted = convert_openai_clip(state)
    assert converted['logit_scale'].shape == ()
    with torch.device('meta'):
        towers = dict(
            text=CLIPTextTower('ViT-B/32', random_init=True),
            vision=CLIPVisionTower('ViT-B/32', random_init=True),
        )
    for part, tower in towers.items():
        expected = {k: v.shape for k, v in tower.state_dict().items()}
        assert {k: v.shape for k, v in converted[part].items()} == expected


def test_convert_resblock_splits_qkv_in_order():
    width = 4
    weight = torch.arange(3 * width * width, dtype=torch.float).view(-1, width)
    state = {
        'blk.attn.in_proj_weight': weight,
        'blk.attn.in_proj_bias': torch.arange(3 * width, dtype=torch.float),
        'blk.mlp.c_fc.weight': torch.ones(1),
        'blk.ln_2.bias': torch.ones(2),
        'other.weight': torch.ones(1),
    }
    out = convert_openai_resblock(state, 'blk.', 'layers.3.')
    assert torch.equal(out['layers.3.self_attn.q_proj.weight'], weight[:4])
    assert torch.equal(out['layers.3.self_attn.k_proj.weight'], weight[4:8])
    assert torch.equal(out['layers.3.self_attn.v_proj.weight'], weight[8:])
    assert out['layers.3.self_attn.v_proj.bias'].tolist() == [
        8.0,
        9.0,
        10.0,
        11.0,
    ]
    assert set(out) == {
        'layers.3.self_attn.q_proj.weight',
        'layers.3.self_attn.k_proj.weight',
        'layers.3.self_attn.v_proj.weight',
        'layers.3.self_attn.q_proj.bias',
        'layers.3.self_attn.k_proj.bias',
        'layers.3.self_attn.v_proj.bias',
        'layers.3.mlp.fc1.weight',
        'layers.3.layer_norm2.bias',
    }


@pytest.mark.parametrize('fmt', ['plain', 'hbi_release', 'torchscript'])
def test_towers_reproduce_reference(tmp_path, reference, inputs, fmt):
    image, ids, mask = inputs
    path = str(tmp_path / f'clip_{fmt}.pt')
    _save(reference, path, fmt, inputs)
    text = CLIPTextTower(SMALL, pretrained=path).eval()
    vision = CLIPVisionTower(SMALL, pretrained=path).eval()
    # mmengine's init_weights must not overwrite the loaded weights.
    text.init_weights()
    vision.init_weights()
    with torch.no_grad():
        ref_frames, ref_tokens = reference(image, ids)
        frames = vision(image)
        tokens = text(ids, mask)
    assert frames.shape == (3, 24) and tokens.shape == (2, 12, 24)
    torch.testing.assert_close(frames, ref_frames, atol=1e-5, rtol=1e-5)
    real = mask.bool()
    torch.testing.assert_close(
        tokens[real], ref_tokens[real], atol=1e-5, rtol=1e-5
    )
    # Shorter sequences use the first positional embeddings.
    with torch.no_grad():
        short = text(ids[:, :7], mask[:, :7])
        ref_short = reference.encode_text_tokens(ids[:, :7])
    torch.testing.assert_close(short, ref_short, atol=1e-5, rtol=1e-5)


def test_logit_scale_and_prefix_handling(tmp_path, reference):
    path = str(tmp_path / 'release.pt')
    _save(reference, path, 'hbi_release', None)
    state = load_openai_clip_state_dict(path)
    assert set(state) == set(reference.state_dict())
    converted = convert_openai_clip(state)
    assert torch.equal(converted['logit_scale'], reference.logit_scale.data)
    assert torch.equal(
        converted['text']['text_projection.weight'],
        reference.text_projection.data.t(),
    )


def test_wrong_shape_is_listed(tmp_path, reference):
    state = dict(reference.state_dict())
    state['ln_final.weight'] = torch.ones(7)
    path = str(tmp_path / 'bad_shape.pt')
    torch.save(state, path)
    with pytest.raises(ValueError) as err:
        CLIPTextTower(SMALL, pretrained=path)
    message = str(err.value)
    assert 'bad_shape.pt' in message
    assert re.search(
        r'final_layer_norm\.weight: checkpoint \(7,\) vs '
        r'model \(40,\)',
        message,
    )
    # The vision part of the same file is fine.
    CLIPVisionTower(SMALL, pretrained=path)


def test_missing_and_unexpected_keys_are_listed(tmp_path, reference):
    state = dict(reference.state_dict())
    del state['visual.ln_post.bias']
    state['visual.extra_head.weight'] = torch.ones(2, 2)
    path = str(tmp_path / 'incomplete.pt')
    torch.save(state, path)
    with pytest.raises(ValueError) as err:
        CLIPVisionTower(SMALL, pretrained=path)
    message = str(err.value)
    assert 'incomplete.pt' in message
    assert (
        'missing keys (1): vision_model.post_layernorm.bias (32,)' in message
    )
    assert 'unexpected keys (1): visual.extra_head.weight (2, 2)' in message


def test_arch_mismatch_is_listed(tmp_path, reference):
    path = str(tmp_path / 'small.pt')
    torch.save(reference.state_dict(), path)
    deeper = dict(SMALL, text=dict(SMALL['text'], layers=3))
    with pytest.raises(
        ValueError,
        match=r'missing keys \(16\): '
        r'text_model\.encoder\.layers\.2\.',
    ):
        CLIPTextTower(deeper, pretrained=path)


def test_non_clip_checkpoint_is_rejected(tmp_path):
    path = str(tmp_path / 'random.pt')
    torch.save(
        {'fc.weight': torch.randn(2, 2), 'fc.bias': torch.randn(2)}, path
    )
    with pytest.raises(ValueError, match=r'random\.pt is not an OpenAI CLIP'):
        CLIPTextTower(SMALL, pretrained=path)
    with pytest.raises(FileNotFoundError, match='nowhere.pt'):
        load_openai_clip_state_dict(str(tmp_path / 'nowhere.pt'))
