"""The estimator trainer of HBI-v2 plays the game on reconstructed maps."""

import pytest
import torch
import torch.nn.functional as F

from hbi.registry import MODELS
from tests.test_models.test_necks.reconstruction_reference import (
    reference_reconstruction,
)
from tests.test_models.test_retrievers.banzhaf_helpers import (
    make_world,
    pair_batches,
    save_retriever_checkpoint,
    tiny_retriever_cfg,
)

HEAD = dict(
    type='HierarchicalBanzhafHead', embed_dim=32, num_heads=2, num_levels=2
)
HEAD_V2 = dict(
    HEAD, reconstruction=dict(type='CrossModalReconstruction', num_heads=2)
)


@pytest.fixture(scope='module')
def batch(tmp_path_factory):
    world = make_world(tmp_path_factory.mktemp('bz2_world') / 'synthetic')
    return pair_batches(world, 'train', batch_size=6)[0]


def _trainer(tmp_path, head, **kwargs):
    ckpt = save_retriever_checkpoint(tmp_path / 'r.pth', seed=0, head=head)
    return MODELS.build(
        dict(
            type='BanzhafEstimatorTrainer',
            retriever=tiny_retriever_cfg(head),
            retriever_checkpoint=str(ckpt),
            num_samples=20,
            **kwargs,
        )
    )


def _game(model, batch):
    data = model.data_preprocessor(batch, False)
    return model.entity_inputs(data['inputs']), data['data_samples'], data


def test_pairs_are_maps_of_reconstructed_tokens(tmp_path, batch):
    model = _trainer(tmp_path, HEAD_V2)
    game, _, data = _game(model, batch)
    with torch.no_grad():
        text = model.retriever.encode_text(
            data['inputs']['input_ids'], data['inputs']['attention_mask']
        )
        video = model.retriever.encode_video(
            data['inputs']['frames'], data['inputs']['frame_mask']
        )
        t, tm = text['entity_tokens'], text['entity_mask']
        v, vm = video['entity_tokens'], video['entity_mask']
        block = model.retriever.head.reconstruction.blocks[0]
        r_t = reference_reconstruction(block, t, tm, v, vm)
        r_v = reference_reconstruction(block, v, vm, t, tm)
    maps = torch.stack(
        [
            F.cosine_similarity(r_t[b][:, None], r_v[b][None], dim=-1)
            for b in range(len(t))
        ]
    ) * (tm[:, :, None] * vm[:, None, :])
    torch.testing.assert_close(game['pairs'], maps, atol=1e-5, rtol=1e-5)
    single = torch.stack(
        [
            F.cosine_similarity(t[b][:, None], v[b][None], dim=-1)
            for b in range(len(t))
        ]
    ) * (tm[:, :, None] * vm[:, None, :])
    assert not torch.allclose(game['pairs'], single, atol=1e-3)
    # without the neck: the single-modal maps, as released
    (tmp_path / 'v1').mkdir()
    released = _trainer(tmp_path / 'v1', HEAD)
    torch.testing.assert_close(
        _game(released, batch)[0]['pairs'], single, atol=1e-5, rtol=1e-5
    )


def test_labels_change_when_the_neck_weights_change(tmp_path, batch):
    model = _trainer(tmp_path, HEAD_V2, label_cache_dir=str(tmp_path / 'c'))
    game, samples, _ = _game(model, batch)
    labels = model.monte_carlo_labels(game, samples)
    assert model.label_cache.misses == len(samples)
    state = model.state_dict()
    key = 'retriever.head.reconstruction.blocks.0.attn.out_proj.weight'
    state[key] = state[key] + 0.5 * torch.randn_like(state[key])
    model.load_state_dict(state)  # a new fingerprint: no stale labels
    game2, _, _ = _game(model, batch)
    labels2 = model.monte_carlo_labels(game2, samples)
    assert model.label_cache.misses == 2 * len(samples)
    assert not torch.allclose(game2['pairs'], game['pairs'], atol=1e-4)
    real = game['pairs'] != 0
    assert not torch.allclose(labels2[real], labels[real], atol=1e-3)
