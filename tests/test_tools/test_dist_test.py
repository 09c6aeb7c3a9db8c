"""tools/test.py on 1 process vs tools/dist_test.sh on 2 CPU processes: the
same matrix, bit for bit, on a world whose sizes do not divide by 2."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from hbi.evaluation.functional import dual_softmax, qb_norm, retrieval_metrics
from tests.test_tools.fast_config import (
    ROOT,
    load_generator,
    load_tool,
    write_fast_config,
)
from tests.test_tools.test_dist_train import _free_port


@pytest.fixture(scope='module')
def odd_run(tmp_path_factory):
    """7 test videos, 35 captions, a config and a 1-epoch checkpoint."""
    tmp = tmp_path_factory.mktemp('dist_test')
    world = tmp / 'world'
    load_generator().generate_world(
        str(world),
        num_train=16,
        num_val=4,
        num_test=7,
        seed=3,
        workers=1,
        progress=False,
    )
    bank = dict(
        batch_size=3,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='MSRVTTRetrievalDataset',
            data_root=str(world),
            ann_file='annotations/MSRVTT_data.json',
            list_file='annotations/val_list.csv',
            text_pipeline=[dict(type='TokenizeText', max_length=32)],
            test_mode=True,
        ),
    )
    cfg = write_fast_config(
        tmp / 'cfg.py',
        world,
        train_cfg=dict(max_epochs=1, val_begin=2),
        # 35 texts in blocks of 4: rank 0 owns 5 blocks (19 texts), rank 1
        # 4 blocks (16); 7 videos in batches of 3: rank 0 gets 4, rank 1 3.
        test_cfg=dict(
            type='RetrievalTestLoop',
            text_block_size=4,
            block_size=5,
            bank_dataloader=bank,
        ),
        test_evaluator=dict(
            type='RetrievalMetric',
            rescorers=['dsl', 'qb_norm'],
            qb_norm_bank='given',
        ),
    )
    work = tmp / 'work'
    load_tool('train').main([str(cfg), '--work-dir', str(work)])
    return tmp, cfg, work / 'epoch_1.pth'


def _test_metrics(work) -> dict:
    log = next(work.rglob('*.log')).read_text()
    line = [x for x in log.splitlines() if 'Epoch(test)' in x][-1]
    return {k: float(v) for k, v in re.findall(r'(\S+): ([-\d.]+)', line)}


def _run(args, env):
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_dist_test_matches_single_process(odd_run):
    tmp, cfg, ckpt = odd_run
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(ROOT),
        PORT=str(_free_port()),
    )
    opts = ['--cfg-options', 'test_dataloader.batch_size=3']
    single = _run(
        [
            sys.executable,
            str(ROOT / 'tools/test.py'),
            str(cfg),
            str(ckpt),
            '--work-dir',
            str(tmp / 'w1'),
            '--dump',
            str(tmp / 'one.npz'),
        ]
        + opts
        + [
            'test_cfg.bank_dataloader=None',
            'test_evaluator.qb_norm_bank=self',
        ],
        env,
    )
    dist = _run(
        [
            'bash',
            str(ROOT / 'tools/dist_test.sh'),
            str(cfg),
            str(ckpt),
            '2',
            '--work-dir',
            str(tmp / 'w2'),
            '--dump',
            str(tmp / 'two.npz'),
        ]
        + opts,
        env,
    )

    one, two = np.load(tmp / 'one.npz'), np.load(tmp / 'two.npz')
    assert one['similarity'].shape == (35, 7)
    for key in ('similarity', 'text_to_video', 'video_ids', 'captions'):
        assert np.array_equal(one[key], two[key]), key
    assert np.bincount(one['text_to_video']).tolist() == [5] * 7
    # the bank: 4 val videos x 5 captions against the 7 test videos
    bank = two['bank_similarity']
    assert bank.shape == (20, 7) and 'bank_similarity' not in one.files

    # each rank scored only its share: rank 0 its 19 texts x 7 videos
    assert 'similarity (rank 0 share, 2 ranks)' in dist.stderr
    assert '133/133' in dist.stderr
    assert 'encode texts (rank 0 share, 2 ranks)' in dist.stderr
    assert '19.0/19.0' in dist.stderr
    assert '245/245' in single.stderr  # the whole matrix on one process

    m1, m2 = _test_metrics(tmp / 'w1'), _test_metrics(tmp / 'w2')
    sim, t2v = one['similarity'], one['text_to_video']
    expect = retrieval_metrics(sim, t2v)
    expect.update(
        {
            f'dsl/{k}': v
            for k, v in retrieval_metrics(dual_softmax(sim), t2v).items()
        }
    )
    for metrics, bank_sim in ((m1, sim), (m2, bank)):
        want = dict(expect)
        want.update(
            {
                f'qb_norm/{k}': v
                for k, v in retrieval_metrics(
                    qb_norm(sim, bank_sim), t2v
                ).items()
                if k.startswith('t2v/')
            }
        )
        assert set(metrics) == set(want)
        for key, value in want.items():
            assert metrics[key] == pytest.approx(value, abs=1e-4), key
    # the table labels raw and re-scored rows, both directions
    log = next((tmp / 'w2').rglob('*.log')).read_text()
    for row in (
        'raw     | t2v',
        'raw     | v2t',
        'dsl     | t2v',
        'dsl     | v2t',
        'qb_norm | t2v',
        'v2t rule best_caption_per_video: a video is ranked among the videos',
    ):
        assert row in log, row
    # the rule is kept with the figures in the test's log line
    test_line = [x for x in log.splitlines() if 'Epoch(test)' in x][-1]
    assert 'v2t_rule: best_caption_per_video' in test_line
