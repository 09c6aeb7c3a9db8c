"""tools/dist_train.sh with 2 CPU processes (gloo) on the synthetic world:
each rank trains on its share, and two processes train HBI like one."""

import json
import os
import socket
import subprocess
import sys
from collections import defaultdict

import pytest
import torch

from hbi.models.layers import BanzhafEstimator
from tests.test_tools.fast_config import (
    ROOT,
    write_fast_config,
    write_fast_hbi_config,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_processes(tmp_path, small_world):
    hooks = [
        dict(type='EpochSeedingHook'),
        dict(type='LogitScaleClampHook'),
        dict(type='SampleRecorderHook'),
    ]
    cfg = write_fast_config(
        tmp_path / 'cfg.py',
        small_world,
        custom_imports=dict(
            imports=['tests.test_tools.sample_recorder_hook'],
            allow_failed_imports=False,
        ),
        custom_hooks=hooks,
    )
    work = tmp_path / 'work'
    env = dict(
        os.environ,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.run(
        [
            'bash',
            str(ROOT / 'tools/dist_train.sh'),
            str(cfg),
            '2',
            '--work-dir',
            str(work),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / 'epoch_2.pth').exists()
    log = next(work.rglob('*.log')).read_text()
    assert 'world_size: 2' in log or 'Distributed launcher: pytorch' in log
    assert 'loss_contrastive' in log
    seen = [
        json.loads((work / f'seen_rank{r}.json').read_text()) for r in (0, 1)
    ]
    train_ids = {
        line.strip()
        for line in (small_world / 'annotations/train_list.csv')
        .read_text()
        .splitlines()[1:]
    }
    for epoch in (0, 1):
        per_rank = []
        for r in (0, 1):
            ids = [v for e, v in seen[r] if e == epoch]
            assert len(ids) == 12, (r, epoch, ids)
            per_rank.append(set(ids))
        # each rank trains on its own half of the videos every epoch
        assert not per_rank[0] & per_rank[1]
        assert per_rank[0] | per_rank[1] == train_ids
    by_epoch = defaultdict(list)
    for e, v in seen[0]:
        by_epoch[e].append(v)
    assert by_epoch[0] != by_epoch[1]  # reshuffled between epochs


def _checkpoint_state(path):
    from hbi.utils.checkpoint_compat import trusted_checkpoint_globals

    with trusted_checkpoint_globals():
        return torch.load(path, map_location='cpu')['state_dict']


def test_hbi_two_processes_train_like_one(tmp_path, small_world):
    """HBI with its Banzhaf terms on (a random teacher written here), global
    batch 8: one process x 8 and two processes x 4 give the same losses at
    every step and the same weights after 6 steps.

    Plain SGD (update = lr x gradient) with a gradient-norm clip that acts
    at every step, so that any parameter receiving another share of the
    gradient (towers 1/W, as the release's gather gives) changes the
    weights; Adam would hide a constant factor. Measured: the two runs
    agree to ~2e-7 in every weight, while the unscaled gather differs by
    ~1e-2 (weights move by up to 3e-2 in these steps)."""
    teacher = tmp_path / 'teacher.pth'
    torch.manual_seed(0)
    torch.save(BanzhafEstimator(64).state_dict(), teacher)
    cfg = write_fast_hbi_config(
        tmp_path / 'cfg.py',
        small_world,
        teacher,
        custom_imports=dict(
            imports=['tests.test_tools.sample_recorder_hook'],
            allow_failed_imports=False,
        ),
        custom_hooks=[
            dict(type='EpochSeedingHook'),
            dict(type='LogitScaleClampHook'),
            dict(type='LossRecorderHook'),
        ],
        global_batch_size=8,
        train_cfg=dict(max_epochs=2, val_begin=3),
        optim_wrapper=dict(
            _delete_=True,
            constructor='CLIPFinetuneOptimWrapperConstructor',
            optimizer=dict(type='SGD', lr=2.0, weight_decay=0.01),
            clip_grad=dict(max_norm=1.0),
            paramwise_cfg=dict(clip_lr_mult=0.2),
        ),
    )
    env = dict(
        os.environ,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(ROOT),
    )
    runs = {}
    for world, command in (
        (1, [sys.executable, str(ROOT / 'tools/train.py'), str(cfg)]),
        (2, ['bash', str(ROOT / 'tools/dist_train.sh'), str(cfg), '2']),
    ):
        work = tmp_path / f'work{world}'
        proc = subprocess.run(
            command + ['--work-dir', str(work)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        runs[world] = (
            json.loads((work / 'losses_rank0.json').read_text()),
            _checkpoint_state(work / 'epoch_2.pth'),
        )
    (losses1, state1), (losses2, state2) = runs[1], runs[2]
    assert len(losses1) == len(losses2) == 6  # 24 videos / 8, 2 epochs
    for step, (one, two) in enumerate(zip(losses1, losses2)):
        assert set(one) == set(two)
        assert {'loss_banzhaf_entity', 'loss_banzhaf_event'} <= set(one)
        for key in one:
            assert two[key] == pytest.approx(one[key], rel=1e-5, abs=1e-5), (
                step,
                key,
            )
    for key, value in state1.items():
        if value.is_floating_point():
            torch.testing.assert_close(
                state2[key], value, rtol=1e-4, atol=1e-5, msg=key
            )
    # the last 3 steps moved the towers, the merge layers, the estimators
    # and the temperature: the comparison is not of untouched weights
    before = _checkpoint_state(tmp_path / 'work1/epoch_1.pth')
    moved = {
        key
        for key, value in state1.items()
        if value.is_floating_point()
        and (value - before[key]).abs().max() > 1e-3
    }
    for prefix in (
        'text_encoder.',
        'video_encoder.',
        'temporal.',
        'head.text_merges.',
        'head.video_blocks.',
        'head.banzhaf_estimators.',
        'logit_scale',
    ):
        assert any(k.startswith(prefix) for k in moved), prefix
    assert not any(k.startswith('head.teacher.') for k in moved)
