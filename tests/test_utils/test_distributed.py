"""all_gather_with_grad on two real gloo processes."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hbi.utils.distributed import (
    all_gather_with_grad,
    concat_tensors,
    global_mean_for_logging,
    map_tensors,
)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    # rank 0 holds 3 items, rank 1 holds 2: uneven sizes are allowed.
    n = 3 if rank == 0 else 2
    x = torch.arange(n * 2, dtype=torch.float32).view(n, 2) + 10 * rank
    x.requires_grad_(True)
    mask = torch.ones(n, dtype=torch.long) * (rank + 1)
    g = all_gather_with_grad(dict(x=x, mask=mask))
    # The same loss on every rank: sum of squares weighted by position.
    w = torch.arange(1, 6, dtype=torch.float32).view(5, 1)
    (w * g['x'] ** 2).sum().backward()
    # A per-sample term: the local mean, logged as the mean over ranks.
    y = torch.full((), float(rank + 1), requires_grad=True)
    logged = global_mean_for_logging(y * 3.0)
    logged.backward()
    out[rank] = dict(
        x=g['x'].detach(),
        mask=g['mask'],
        grad=x.grad,
        logged=logged.item(),
        y_grad=y.grad.item(),
    )
    dist.destroy_process_group()


def test_all_gather_with_grad_two_ranks():
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), out), nprocs=2)
    x0 = torch.arange(6, dtype=torch.float32).view(3, 2)
    x1 = torch.arange(4, dtype=torch.float32).view(2, 2) + 10
    full = torch.cat([x0, x1])
    w = torch.arange(1, 6, dtype=torch.float32).view(5, 1)
    for rank in (0, 1):
        assert torch.equal(out[rank]['x'], full)
        assert out[rank]['mask'].tolist() == [1, 1, 1, 2, 2]
    # d/dx of sum(w x^2) is 2 w x; each rank receives its own rows times
    # the world size (2), so that DDP's average over ranks gives every
    # parameter the single-process gradient.
    assert torch.allclose(out[0]['grad'], 2 * (2 * w * full)[:3])
    assert torch.allclose(out[1]['grad'], 2 * (2 * w * full)[3:])
    # logged: mean of 3 and 6 on both ranks; gradient: the local one
    assert out[0]['logged'] == out[1]['logged'] == 4.5
    assert out[0]['y_grad'] == out[1]['y_grad'] == 3.0


def test_single_process_is_identity_and_helpers():
    t = dict(a=torch.ones(2, 3), b=[torch.zeros(2), None])
    assert all_gather_with_grad(t) is t
    assert global_mean_for_logging(t['a']) is t['a']
    doubled = map_tensors(lambda x: x * 2, t)
    assert doubled['a'].sum() == 12 and doubled['b'][1] is None
    cat = concat_tensors([t, t])
    assert cat['a'].shape == (4, 3) and cat['b'][0].shape == (4,)
