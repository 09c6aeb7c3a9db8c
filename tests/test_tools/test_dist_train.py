"""tools/dist_train.sh with 2 CPU processes (gloo) on the synthetic world."""

import json
import os
import socket
import subprocess
from collections import defaultdict

from tests.test_tools.fast_config import ROOT, write_fast_config


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
