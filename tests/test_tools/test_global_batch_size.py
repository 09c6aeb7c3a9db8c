"""tools/train.py: per-rank batch from global_batch_size."""

import pytest
from mmengine.config import Config

from tests.test_tools.fast_config import load_tool

train = load_tool('train')


def cfg(global_batch=None, accumulate=None):
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
    if accumulate is not None:
        optim_wrapper['accumulative_counts'] = accumulate
    out = Config(
        dict(train_dataloader=dict(batch_size=7), optim_wrapper=optim_wrapper)
    )
    if global_batch is not None:
        out.global_batch_size = global_batch
    return out


@pytest.mark.parametrize(
    'world, accumulate, expected',
    [(1, None, 128), (8, None, 16), (4, 2, 16), (2, 4, 16), (16, 8, 1)],
)
def test_per_rank_batch(world, accumulate, expected):
    config = cfg(128, accumulate)
    train.apply_global_batch_size(config, world)
    assert config.train_dataloader.batch_size == expected


def test_absent_key_keeps_the_batch():
    config = cfg()
    train.apply_global_batch_size(config, 8)
    assert config.train_dataloader.batch_size == 7


def test_not_divisible_is_an_error():
    with pytest.raises(
        ValueError,
        match=r'world_size \(3\) x '
        r'optim_wrapper.accumulative_counts \(2\) = 6',
    ):
        train.apply_global_batch_size(cfg(128, 2), 3)


def test_world_size_from_the_launcher(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '4')
    assert train.launcher_world_size('pytorch') == 4
    assert train.launcher_world_size('none') == 1
