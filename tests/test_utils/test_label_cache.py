"""BanzhafLabelCache: keys, hits, misses, rounding and fingerprints."""

import numpy as np
import pytest
import torch
from torch import nn

from hbi.utils.label_cache import (
    BanzhafLabelCache,
    label_key,
    seed_from_key,
    state_dict_fingerprint,
)


def test_hit_returns_stored_labels_and_miss_computes(tmp_path):
    cache = BanzhafLabelCache(str(tmp_path / 'c'))
    key = label_key(video_id='video0', text_index=3, model='abc', seed=0)
    calls = []

    def compute():
        calls.append(1)
        return np.arange(6, dtype=np.float64).reshape(2, 3) / 7

    first = cache.get_or_compute(key, compute)
    second = cache.get_or_compute(key, compute)
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    assert first.dtype == np.float32 and np.array_equal(first, second)
    np.testing.assert_allclose(
        first, np.arange(6).reshape(2, 3) / 7, rtol=1e-6
    )
    # sharded by the key's first two hex digits; no temporary file left
    path = tmp_path / 'c' / key[:2] / f'{key}.npy'
    assert path.is_file()
    assert not list((tmp_path / 'c').rglob('*.tmp'))
    # another process (a new cache object on the folder) hits too
    other = BanzhafLabelCache(str(tmp_path / 'c'))
    assert np.array_equal(other.get(key), first)


def test_float16_storage_returns_rounded_labels_on_miss_and_hit(tmp_path):
    cache = BanzhafLabelCache(str(tmp_path), dtype='float16')
    key = label_key(a=1)
    value = np.array([[0.1, 1 / 3]])
    miss = cache.get_or_compute(key, lambda: value)
    hit = cache.get_or_compute(key, lambda: value * 0)
    assert miss.dtype == np.float16 and np.array_equal(miss, hit)
    assert not np.array_equal(miss.astype(np.float64), value)  # rounded


def test_keys_differ_by_every_field_and_ignore_order():
    base = dict(
        video_id='v',
        text_index=0,
        caption='a dog',
        frame_inds=np.arange(4),
        model='m',
        num_samples=100,
        scale=1000.0,
        seed=0,
    )
    key = label_key(**base)
    assert key == label_key(**dict(reversed(list(base.items()))))
    for name, other in [
        ('video_id', 'w'),
        ('text_index', 1),
        ('caption', 'a cat'),
        ('frame_inds', np.arange(1, 5)),
        ('model', 'n'),
        ('num_samples', 10),
        ('scale', 1.0),
        ('seed', 1),
    ]:
        assert label_key(**dict(base, **{name: other})) != key, name
    assert seed_from_key(key) == seed_from_key(key) >= 0
    assert seed_from_key(key) != seed_from_key(label_key(**dict(base, seed=1)))


def test_fingerprint_changes_with_the_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    before = state_dict_fingerprint(net)
    assert before == state_dict_fingerprint(net.state_dict())
    with torch.no_grad():
        net[0].weight[0, 0] += 1e-6
    assert state_dict_fingerprint(net) != before
    net[1].running_mean[0] = 1.0  # buffers count
    changed = state_dict_fingerprint(net)
    net[1].running_mean[0] = 0.0
    assert state_dict_fingerprint(net) != changed


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match='dtype'):
        BanzhafLabelCache(str(tmp_path), dtype='int8')
    with pytest.raises(ValueError, match='key'):
        BanzhafLabelCache(str(tmp_path)).get('../etc')
