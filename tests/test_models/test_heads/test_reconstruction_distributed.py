"""The head's per-pair work on each rank's own pairs: one process and two
(gloo) processes give the same losses, and the reconstruction term's
gradient averaged over ranks (what DDP does) is the one-process one."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hbi.utils.distributed import all_gather_with_grad
from tests.test_models.test_heads.test_hierarchical_banzhaf_head import (
    _head,
    _inputs,
    _teacher_file,
)

NECK = dict(type='CrossModalReconstruction', num_heads=2)
PAIRS = 4


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _build(teacher):
    torch.manual_seed(0)
    return _head(teacher_checkpoint=teacher, reconstruction=NECK)


def _losses_and_grads(head, text, tm, video, vm, world=1, rank=0):
    rows = slice(rank * PAIRS // world, (rank + 1) * PAIRS // world)
    seen = []  # pairs per call of the neck: this rank's own pairs only
    head.reconstruction.register_forward_hook(
        lambda module, args, output: seen.append(args[0].shape[0])
    )
    local_t = head.encode_text(text[rows], tm[rows])
    local_v = head.encode_video(video[rows], vm[rows])
    if world == 1:
        losses = head.loss(local_t, local_v, 3.0)
    else:
        losses = head.loss(
            all_gather_with_grad(local_t),
            all_gather_with_grad(local_v),
            3.0,
            local_text=local_t,
            local_video=local_v,
        )
    recon = sum(v for k, v in losses.items() if 'reconstruction' in k)
    head.zero_grad()
    recon.backward()
    grads = {
        name: p.grad.clone()
        for name, p in head.reconstruction.named_parameters()
    }
    if world > 1:
        for grad in grads.values():  # DDP's averaging
            dist.all_reduce(grad)
            grad /= world
    assert seen == [PAIRS // world] * 6  # 3 levels x 2 directions
    return {k: v.detach() for k, v in losses.items()}, grads


def _worker(rank, port, teacher, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    out[rank] = _losses_and_grads(
        _build(teacher), *_inputs(PAIRS, PAIRS), world=2, rank=rank
    )
    dist.destroy_process_group()


def test_one_and_two_processes_give_the_same_losses(tmp_path):
    teacher, _ = _teacher_file(tmp_path)
    single, single_grads = _losses_and_grads(
        _build(teacher), *_inputs(PAIRS, PAIRS)
    )
    out = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), teacher, out), nprocs=2)
    assert any('reconstruction' in k for k in single)
    assert any('banzhaf' in k for k in single)
    for rank in (0, 1):
        losses, grads = out[rank]
        assert set(losses) == set(single)
        for key, value in single.items():
            torch.testing.assert_close(
                losses[key], value, atol=1e-5, rtol=1e-5, msg=key
            )
        for name, grad in single_grads.items():
            torch.testing.assert_close(
                grads[name], grad, atol=1e-6, rtol=1e-4, msg=name
            )
