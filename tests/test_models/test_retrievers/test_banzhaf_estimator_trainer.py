"""BanzhafEstimatorTrainer: cached Monte-Carlo labels, training, export."""

import importlib.util
import json

import numpy as np
import pytest
import torch

from hbi.models.heads import HierarchicalBanzhafHead
from hbi.models.retrievers.released_hbi_checkpoint import OWN_PREFIXES
from tests.test_models.test_retrievers.banzhaf_helpers import (
    ROOT,
    SYNTHETIC_CONFIG,
    build_trainer,
    make_world,
    pair_batches,
    save_retriever_checkpoint,
)
from tests.test_tools.fast_config import load_tool

_spec = importlib.util.spec_from_file_location(
    'export_banzhaf_estimator',
    ROOT / 'tools/model_converters/export_banzhaf_estimator.py',
)
export_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_tool)


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp('bz_world') / 'synthetic')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return save_retriever_checkpoint(
        tmp_path_factory.mktemp('bz_ckpt') / 'retriever.pth', seed=0
    )


@pytest.fixture(scope='module')
def batches(world):
    return pair_batches(world, 'train', batch_size=8)


def _game(model, batch):
    data = model.data_preprocessor(batch, False)
    return model.entity_inputs(data['inputs']), data['data_samples']


def test_labels_are_cached_and_equal_recomputed_ones(
    checkpoint, batches, tmp_path
):
    model = build_trainer(checkpoint, label_cache_dir=str(tmp_path / 'c'))
    game, samples = _game(model, batches[0])
    first = model.monte_carlo_labels(game, samples)
    assert (model.label_cache.hits, model.label_cache.misses) == (0, 8)
    again = model.monte_carlo_labels(game, samples)
    assert (model.label_cache.hits, model.label_cache.misses) == (8, 8)
    assert torch.equal(first, again)
    # Without a cache the key-seeded draws give the same labels, and a
    # pair's label does not depend on the rest of its batch.
    fresh = build_trainer(checkpoint)
    assert torch.equal(fresh.monte_carlo_labels(game, samples), first)
    part = {k: v[2:5] for k, v in game.items() if torch.is_tensor(v)}
    assert torch.equal(
        fresh.monte_carlo_labels(part, samples[2:5]), first[2:5]
    )
    # Labels are 0 off the real entries and not all equal on them.
    real = (
        game['text_mask'].unsqueeze(-1) * game['video_mask'].unsqueeze(-2)
    ) > 0
    assert torch.all(first[~real] == 0)
    assert first[real].std() > 0
    # Another Monte-Carlo seed gives other labels.
    other = build_trainer(checkpoint, seed=1).monte_carlo_labels(game, samples)
    assert not torch.equal(other, first)


def test_cache_misses_when_the_frozen_model_changes(
    checkpoint, batches, tmp_path
):
    cache = str(tmp_path / 'c')
    model = build_trainer(checkpoint, label_cache_dir=cache)
    game, samples = _game(model, batches[0])
    before = model.monte_carlo_labels(game, samples)
    state = model.state_dict()
    name = (
        'retriever.text_encoder.text_model.embeddings.token_embedding.weight'
    )
    assert name in state, sorted(state)[:10]
    state[name] = state[name] + 0.05
    model.load_state_dict(state)
    misses = model.label_cache.misses
    game, _ = _game(model, batches[0])
    after = model.monte_carlo_labels(game, samples)
    assert model.label_cache.misses == misses + 8
    assert model.label_cache.hits == 0
    assert not torch.allclose(after, before)
    # The original weights hit the entries stored first.
    reloaded = build_trainer(checkpoint, label_cache_dir=cache)
    game, _ = _game(reloaded, batches[0])
    assert torch.equal(reloaded.monte_carlo_labels(game, samples), before)
    assert reloaded.label_cache.hits == 8


def test_loss_decreases_and_only_the_estimator_trains(
    checkpoint, batches, tmp_path
):
    torch.manual_seed(0)
    model = build_trainer(checkpoint, label_cache_dir=str(tmp_path / 'c'))
    frozen = {k: v.clone() for k, v in model.retriever.state_dict().items()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == {  # all but the unused ``bn``
        id(p)
        for name, p in model.estimator.named_parameters()
        if not name.startswith('bn.')
    }
    optimizer = torch.optim.Adam(trainable, lr=3e-3)
    data = model.data_preprocessor(batches[0], True)
    losses = []
    for _ in range(10):
        loss = model(**data, mode='loss')['loss_banzhaf_mse']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # Same batch, same cached labels: a frozen or detached estimator would
    # give a flat curve.
    assert np.mean(losses[-3:]) < 0.85 * losses[0], losses
    assert not model.retriever.training
    for key, value in model.retriever.state_dict().items():
        assert torch.equal(value, frozen[key]), key


def test_loss_is_masked_mse(checkpoint, batches):
    model = build_trainer(checkpoint)
    data = model.data_preprocessor(batches[0], False)
    game = model.entity_inputs(data['inputs'])
    labels = model.monte_carlo_labels(game, data['data_samples'])
    estimate = model.estimator(game['pairs'])
    errors = [
        (
            estimate[b][game['text_mask'][b] > 0][:, game['video_mask'][b] > 0]
            - labels[b][game['text_mask'][b] > 0][:, game['video_mask'][b] > 0]
        ).flatten()
        for b in range(labels.shape[0])
    ]
    expected = torch.cat(errors).square().mean()
    loss = model(**data, mode='loss')['loss_banzhaf_mse']
    torch.testing.assert_close(loss, expected)


def test_exported_teacher_loads_into_the_head(checkpoint, batches, tmp_path):
    model = build_trainer(checkpoint)
    with torch.no_grad():  # a trained-looking estimator, not the init
        for param in model.estimator.parameters():
            param.add_(torch.randn_like(param) * 0.1)
    ckpt = tmp_path / 'trainer.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    out = tmp_path / 'teacher' / 'estimator.pth'
    teacher = export_tool.main([str(ckpt), str(out)])
    assert set(teacher) == {
        f'banzhafteacher.{k}' for k in model.estimator.state_dict()
    }
    head = HierarchicalBanzhafHead(embed_dim=32, teacher_checkpoint=str(out))
    assert head.use_banzhaf
    plain = torch.load(out, weights_only=True)
    head.teacher.load_state_dict(
        {k[len('banzhafteacher.') :]: v for k, v in plain.items()}, strict=True
    )
    pairs = model.entity_inputs(
        model.data_preprocessor(batches[0], False)['inputs']
    )['pairs']
    with torch.no_grad():
        assert torch.equal(head.teacher(pairs), model.estimator(pairs))
    with pytest.raises(KeyError, match='no key starts with'):
        export_tool.main(
            [str(ckpt), str(tmp_path / 'x.pth'), '--src-prefix', 'nothing.']
        )


def _write_tiny_config(path, world, checkpoint, labels):
    path.write_text(
        '\n'.join(
            [
                f'_base_ = [{str(SYNTHETIC_CONFIG)!r}]',
                "arch = dict(_delete_=True, base='tiny', embed_dim=32, "
                'vision=dict(width=32, layers=1, heads=2), '
                'text=dict(width=32, layers=1, heads=2))',
                'model = dict(retriever=dict(text_encoder=dict(arch=arch), '
                'video_encoder=dict(arch=arch)), num_samples=20, '
                f'retriever_checkpoint={str(checkpoint)!r}, '
                f'label_cache_dir={str(labels)!r})',
                f'data_root = {str(world)!r}',
                'train_cfg = dict(max_epochs=1)',
                'param_scheduler = []',
                'default_hooks = dict(logger=dict(interval=1))',
            ]
            + [
                f'{split}_dataloader = dict(batch_size=8, num_workers=0, '
                'dataset=dict(data_root=data_root))'
                for split in ('train', 'val', 'test')
            ]
        )
        + '\n'
    )
    return path


@pytest.fixture(scope='module')
def trained(world, checkpoint, tmp_path_factory):
    """One epoch of the synthetic config through tools/train.py."""
    root = tmp_path_factory.mktemp('bz_train')
    cfg = _write_tiny_config(
        root / 'cfg.py', world, checkpoint, root / 'labels'
    )
    work = root / 'work'
    load_tool('train').main([str(cfg), '--work-dir', str(work)])
    return cfg, work


def test_train_tool_validates_with_the_estimator_metric(trained, tmp_path):
    _, work = trained
    records = [
        json.loads(line)
        for log in work.rglob('vis_data/scalars.json')
        for line in log.read_text().splitlines()
    ]
    val = [r for r in records if 'banzhaf/mse' in r]
    assert len(val) == 1  # one epoch, ValLoop + BanzhafEstimatorMetric
    assert val[0]['banzhaf/mse'] > 0 and val[0]['banzhaf/baseline_mse'] > 0
    assert val[0]['banzhaf/num_entries'] > 0
    best = work / 'best_banzhaf_mse_epoch_1.pth'
    assert best.is_file()
    teacher = export_tool.main([str(best), str(tmp_path / 't.pth')])
    assert 'banzhafteacher.cnn1.weight' in teacher


@pytest.mark.skipif(
    not {'retriever.', 'estimator.'} <= set(OWN_PREFIXES),
    reason='HBIRunner.load_checkpoint rejects the trainer layout until '
    "OWN_PREFIXES lists 'retriever.' and 'estimator.'",
)
def test_test_tool_evaluates_an_estimator_checkpoint(trained):
    cfg, work = trained
    metrics = load_tool('test').main(
        [str(cfg), str(work / 'epoch_1.pth'), '--work-dir', str(work)]
    )
    assert metrics['banzhaf/num_entries'] > 0
    assert 0 < metrics['banzhaf/mse']
    assert metrics['banzhaf/baseline_mse'] > 0
