"""Every config follows the override rule (docs/dev/conventions.md):
``data_root=DIR`` reaches every dataloader, ``train_cfg.max_epochs=N`` moves
the schedule and the validation interval."""

import math
from pathlib import Path

import pytest

from hbi.utils import load_config
from hbi.utils.config_values import CommandLineValue

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts
)
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _datasets(node):
    """A dataloader's dataset and the datasets it wraps."""
    yield node
    for inner in node.get('datasets', []) or []:
        yield from _datasets(inner)
    if isinstance(node.get('dataset'), dict):
        yield from _datasets(node['dataset'])


def _strings(node, path=''):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f'{path}.{key}'.strip('.'))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _strings(value, f'{path}.{i}')
    elif isinstance(node, str):
        yield path, node


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_data_root_reaches_every_loader(path):
    old = load_config(str(path)).get('data_root')
    if old is None:
        pytest.fail(f'{path.name} has no top-level data_root')
    new = '/elsewhere/my data'
    cfg = load_config(str(path), {'data_root': CommandLineValue(new)})
    for name in LOADERS:
        roots = [d.get('data_root') for d in _datasets(cfg[name].dataset)]
        assert new in roots, (name, roots)
        assert all(r in (new, None) for r in roots), (name, roots)
    left = [
        (key, value)
        for key, value in _strings(cfg.to_dict())
        if key != 'data_root' and value.startswith(old.rstrip('/') + '/')
    ]
    assert not left, left


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_epochs_move_schedule_and_validation(path):
    cfg = load_config(
        str(path), {'train_cfg.max_epochs': CommandLineValue('1')}
    )
    assert cfg.train_cfg.max_epochs == 1
    assert cfg.train_cfg.get('val_interval', 1) == 1
    for scheduler in cfg.param_scheduler:
        if scheduler.get('by_epoch', True):
            assert scheduler.get('end', math.inf) <= 1, scheduler
            assert scheduler.get('begin', 0) < scheduler.get('end', 1)
