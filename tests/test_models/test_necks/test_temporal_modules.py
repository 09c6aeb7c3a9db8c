"""Temporal modules: seqTransf against CLIP4Clip's computation, seqLSTM
against a per-sample LSTM, padding invariance, initialisation and loading."""

import pytest
import torch

from hbi.models.backbones import CLIPTextTower
from hbi.models.necks import (
    IdentityTemporal,
    TemporalLSTM,
    TemporalTransformer,
)
from hbi.registry import MODELS
from tests.test_models.test_backbones.openai_clip_reference import (
    ResidualAttentionBlock,
    randomize_,
    reference_seq_transf,
)

WIDTH, HEADS, LAYERS = 32, 4, 2


def _frames(batch=3, num_frames=6, width=WIDTH):
    gen = torch.Generator().manual_seed(0)
    frames = torch.randn(batch, num_frames, width, generator=gen)
    mask = torch.ones(batch, num_frames, dtype=torch.long)
    mask[1, 4:], mask[2, 1:] = 0, 0
    return frames, mask


def _released_state(num_layers=LAYERS):
    """Released-layout weights written by the test, plus the reference
    blocks holding the same values."""
    torch.manual_seed(0)
    blocks = [ResidualAttentionBlock(WIDTH, HEADS) for _ in range(num_layers)]
    for block in blocks:
        randomize_(block).eval()
    position = torch.randn(77, WIDTH)
    state = {'frame_position_embeddings.weight': position}
    for i, block in enumerate(blocks):
        state.update(
            {
                f'transformerClip.resblocks.{i}.{k}': v
                for k, v in block.state_dict().items()
            }
        )
    return state, blocks, position


@pytest.mark.parametrize('source', ['dict', 'file'])
def test_seq_transf_matches_clip4clip_on_released_weights(tmp_path, source):
    state, blocks, position = _released_state()
    checkpoint = state
    if source == 'file':
        # As released: next to CLIP and the other heads, DDP-prefixed.
        full = {f'module.{k}': v for k, v in state.items()}
        full['module.clip.logit_scale'] = torch.tensor(4.6)
        full['module.text_weight_fc.0.weight'] = torch.ones(2, 2)
        checkpoint = str(tmp_path / 'hbi_release.pth')
        torch.save(full, checkpoint)
    module = TemporalTransformer(WIDTH, LAYERS, HEADS).eval()
    module.load_released(checkpoint)
    frames, mask = _frames()
    with torch.no_grad():
        expected = reference_seq_transf(frames, mask, position, blocks)
        out = module(frames, mask)
    real = mask.bool()
    torch.testing.assert_close(out[real], expected[real], atol=1e-5, rtol=1e-5)


def test_seq_transf_eager_matches_sdpa():
    state, _, _ = _released_state()
    frames, mask = _frames()
    outs = []
    for impl in ('eager', 'sdpa'):
        module = TemporalTransformer(
            WIDTH, LAYERS, HEADS, attn_implementation=impl
        ).eval()
        module.load_released(state)
        outs.append(module(frames, mask).detach())
    torch.testing.assert_close(outs[0], outs[1], atol=1e-5, rtol=1e-5)


def test_load_released_reports_problems(tmp_path):
    state, _, _ = _released_state(num_layers=3)
    with pytest.raises(
        ValueError, match=r'unexpected keys \(16\): layers\.2\.'
    ):
        TemporalTransformer(WIDTH, LAYERS, HEADS).load_released(state)
    path = str(tmp_path / 'not_seq_transf.pth')
    torch.save({'fc.weight': torch.ones(2)}, path)
    with pytest.raises(ValueError, match='not_seq_transf.pth: no'):
        TemporalTransformer(WIDTH, LAYERS, HEADS).load_released(path)


@pytest.mark.parametrize(
    'cfg',
    [
        dict(type='IdentityTemporal'),
        dict(
            type='TemporalTransformer',
            width=WIDTH,
            num_layers=LAYERS,
            num_heads=HEADS,
        ),
        dict(type='TemporalLSTM', width=WIDTH),
    ],
)
def test_padded_frames_do_not_change_real_outputs(cfg):
    torch.manual_seed(0)
    module = MODELS.build(cfg).eval()
    frames, mask = _frames()
    padded = ~mask.bool()
    noisy = frames.clone()
    noisy[padded] = 100 * torch.randn(int(padded.sum()), WIDTH)
    with torch.no_grad():
        a, b = module(frames, mask), module(noisy, mask)
    assert a.shape == frames.shape
    torch.testing.assert_close(a[~padded], b[~padded])
    if cfg['type'] != 'TemporalTransformer':
        # Padded positions keep their input.
        torch.testing.assert_close(b[padded], noisy[padded])


def test_identity_passes_frames():
    frames, mask = _frames()
    assert IdentityTemporal()(frames, mask) is frames
    with pytest.raises(ValueError, match='frame_mask'):
        IdentityTemporal()(frames, mask[:, :3])


def test_lstm_matches_per_sample_lstm():
    torch.manual_seed(0)
    module = TemporalLSTM(WIDTH).eval()
    frames, mask = _frames()
    with torch.no_grad():
        out = module(frames, mask)
        for b in range(frames.shape[0]):
            n = int(mask[b].sum())
            hidden, _ = module.lstm_visual(frames[b : b + 1, :n])
            torch.testing.assert_close(out[b, :n], frames[b, :n] + hidden[0])
            torch.testing.assert_close(out[b, n:], frames[b, n:])
    # A sample without real frames comes back unchanged.
    empty = torch.zeros_like(mask)
    empty[0] = 1
    with torch.no_grad():
        out = module(frames, empty)
    torch.testing.assert_close(out[1:], frames[1:])
    with pytest.raises(ValueError, match='real frames must come first'):
        module(frames, torch.tensor([[0, 1, 1, 1, 1, 1]] * 3))


def test_init_from_text_tower_copies_position_and_blocks():
    text = CLIPTextTower(
        dict(
            embed_dim=WIDTH,
            vision=dict(
                image_size=16, patch_size=8, width=32, layers=1, heads=4
            ),
            text=dict(
                vocab_size=50,
                context_length=77,
                width=WIDTH,
                layers=3,
                heads=HEADS,
            ),
        )
    )
    module = TemporalTransformer(WIDTH, num_layers=4, num_heads=HEADS)
    before = {k: v.clone() for k, v in module.layers[3].state_dict().items()}
    module.init_from_text_tower(text)
    assert torch.equal(
        module.frame_position_embeddings.weight,
        text.text_model.embeddings.position_embedding.weight,
    )
    for i in range(3):
        mine = module.layers[i].state_dict()
        theirs = text.layers[i].state_dict()
        assert set(mine) == set(theirs)
        for name in mine:
            assert torch.equal(mine[name], theirs[name]), (i, name)
    # The fourth block has no text counterpart and keeps its values.
    for name, value in module.layers[3].state_dict().items():
        assert torch.equal(value, before[name])
    with pytest.raises(ValueError, match='positional embedding'):
        TemporalTransformer(WIDTH, max_frames=12).init_from_text_tower(text)


def test_too_many_frames():
    module = TemporalTransformer(WIDTH, LAYERS, HEADS, max_frames=4)
    frames, mask = _frames(num_frames=6)
    with pytest.raises(ValueError, match='6 frames exceed max_frames=4'):
        module(frames, mask)
