"""The world-size-free work grid of the retrieval evaluation."""

import numpy as np
import pytest
import torch
from torch import nn

from hbi.engine.runner.retrieval_evaluation import (
    BlockBatchSampler,
    _first_of_each_index,
    gather_rows,
    merge_row_blocks,
    similarity_matrix,
    similarity_rows,
)


@pytest.mark.parametrize(
    'num, block, batch', [(35, 4, 3), (7, 3, 3), (10, 8, 3), (1, 5, 2)]
)
def test_block_batches_do_not_depend_on_world_size(num, block, batch):
    single = list(BlockBatchSampler(num, block, batch, 0, 1))
    assert [i for b in single for i in b] == list(range(num))
    for world in (2, 3, 5):
        samplers = [
            BlockBatchSampler(num, block, batch, r, world)
            for r in range(world)
        ]
        batches = [b for s in samplers for b in s]
        # the same batches as one process, each index once, no padding
        assert sorted(batches) == single
        for s in samplers:
            assert len(s) == len(list(s))
            assert s.num_owned() == sum(len(b) for b in s)
            # rank r owns blocks r, r + world, ...
            assert [start // block for start, _ in s.blocks()] == list(
                range(s.rank, -(-num // block), world)
            )


def test_block_sampler_hand_checked_split():
    rank1 = BlockBatchSampler(35, 4, 3, rank=1, world_size=2)
    assert rank1.blocks() == [(4, 8), (12, 16), (20, 24), (28, 32)]
    assert list(rank1)[:3] == [[4, 5, 6], [7], [12, 13, 14]]
    assert BlockBatchSampler(35, 4, 3, 0, 2).num_owned() == 19
    with pytest.raises(ValueError, match='block_size'):
        BlockBatchSampler(10, 0, 3, 0, 1)
    with pytest.raises(ValueError, match='rank 2'):
        BlockBatchSampler(10, 2, 3, 2, 2)


def test_padding_repeats_are_dropped():
    # a padded sampler on 2 ranks over 5 items: rank 0 [0, 2, 4], rank 1
    # [1, 3, 0]; index 0 twice
    indices = np.array([0, 2, 4, 1, 3, 0])
    keep = _first_of_each_index(indices)
    assert indices[keep].tolist() == [0, 1, 2, 3, 4]
    assert keep.tolist() == [0, 3, 1, 4, 2]


class _DotModel(nn.Module):
    """similarity = text @ video.T, counting the blocks it is given."""

    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(1))
        self.calls = []

    def similarity(self, text, video, levels=None):
        self.calls.append((text['x'].shape[0], video['x'].shape[0]))
        return {'fused': text['x'] @ video['x'].t()}


def test_similarity_rows_blocks_and_values():
    g = torch.Generator().manual_seed(0)
    text = {'x': torch.randn(11, 4, generator=g)}
    video = {'x': torch.randn(7, 4, generator=g)}
    model = _DotModel()
    rows = similarity_rows(
        model, text, video, [(0, 5), (5, 11)], 7, 3, rows_per_call=5
    )
    np.testing.assert_allclose(
        rows, (text['x'] @ video['x'].t()).numpy(), atol=1e-6
    )
    assert model.calls == [(5, 3), (5, 3), (5, 1), (6, 3), (6, 3), (6, 1)]
    full = similarity_matrix(_DotModel(), text, video, 11, 7, 4)
    np.testing.assert_allclose(full, rows, atol=1e-6)
    assert similarity_rows(model, None, video, [], 7).shape == (0, 7)


def test_consecutive_row_blocks_share_a_call():
    g = torch.Generator().manual_seed(1)
    text = {'x': torch.randn(11, 4, generator=g)}
    video = {'x': torch.randn(7, 4, generator=g)}
    model = _DotModel()
    rows = similarity_rows(model, text, video, [(0, 5), (5, 11)], 7, 3)
    np.testing.assert_allclose(
        rows, (text['x'] @ video['x'].t()).numpy(), atol=1e-6
    )
    assert model.calls == [(11, 3), (11, 3), (11, 1)]
    assert merge_row_blocks([(0, 2), (2, 5), (5, 6), (8, 9), (9, 20)], 4) == [
        (0, 2),
        (2, 6),
        (8, 9),
        (9, 20),
    ]
    assert merge_row_blocks([(0, 2), (2, 5), (7, 9)], 100) == [(0, 5), (7, 9)]


def test_gather_rows_single_process():
    rows = np.arange(12, dtype=np.float32).reshape(4, 3)
    full = gather_rows(np.array([2, 0, 3, 1]), rows, 4)
    assert full.tolist() == rows[[1, 3, 0, 2]].tolist()
    ints = gather_rows(np.array([1, 0]), np.array([7, 9]), 2)
    assert ints.tolist() == [9, 7] and ints.dtype == np.int64
    with pytest.raises(RuntimeError, match='each of the 5 rows once'):
        gather_rows(np.array([0, 1, 1, 2]), rows, 5)
