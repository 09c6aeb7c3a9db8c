"""tools/test.py on 1 process vs tools/dist_test.sh on 2 CPU processes: the
same matrix, bit for bit, on a world whose sizes do not divide by 2, for
CLIP4Clip meanP and for HBI (three levels, merged tokens, fused score)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from hbi.evaluation.functional import dual_softmax, qb_norm, retrieval_metrics
from hbi.models.layers import BanzhafEstimator
from tests.test_tools.fast_config import (
    ROOT,
    load_generator,
    load_tool,
    write_fast_config,
    write_fast_hbi_config,
)
from tests.test_tools.test_dist_train import _free_port


@pytest.fixture(scope='module', params=['meanp', 'hbi'])
def odd_run(request, tmp_path_factory):
    """7 test videos, 35 captions, a config and a 1-epoch checkpoint of
    meanP, or of HBI (Banzhaf terms on; fused score = entity + action +
    event, so that every level is in the compared matrix)."""
    tmp = tmp_path_factory.mktemp(f'dist_test_{request.param}')
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
    write, model_args = write_fast_config, {}
    if request.param == 'hbi':
        teacher = tmp / 'teacher.pth'
        torch.save(BanzhafEstimator(64).state_dict(), teacher)
        write = write_fast_hbi_config
        model_args = dict(teacher=teacher, head=dict(rate=(1.0, 1.0, 1.0)))
    cfg = write(
        tmp / 'cfg.py',
        world,
        **model_args,
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
    ):
        assert row in log, row


def test_rerank_stage_on_two_processes(odd_run):
    """The re-ranking stage on 2 ranks (tools/dist_test.sh): a reranker
    whose second score is the fused one with weight -1.5 reverses each
    text's top-3 and each video's top-3 texts, checked against that
    definition on the dumped first-stage matrix, and the ``rerank/``
    metrics are those of the dumped re-ranked matrices."""
    tmp, _, ckpt = odd_run
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(ROOT),
        PORT=str(_free_port()),
    )
    cfg = tmp / 'rerank_cfg.py'
    cfg.write_text(
        f'_base_ = [{str(tmp / "cfg.py")!r}]\n'
        "model = dict(reranker=dict(type='SimilarityReranker', "
        "key='fused', k=3, weight=-1.5))\n"
    )
    _run(
        ['bash', str(ROOT / 'tools/dist_test.sh'), str(cfg), str(ckpt), '2']
        + ['--work-dir', str(tmp / 'rerank'), '--dump', str(tmp / 'r.npz')]
        + ['--cfg-options', 'test_dataloader.batch_size=3']
        + ['test_cfg.bank_dataloader=None', 'test_evaluator.rescorers=[]']
        + ['test_cfg.rerank_batch_size=4'],
        env,
    )
    dump = np.load(tmp / 'r.npz')
    sim, gt = dump['similarity'], dump['text_to_video']

    def expected_order(scores):
        ranked = sorted(range(len(scores)), key=lambda j: (-scores[j], j))
        return ranked[:3][::-1] + ranked[3:]  # no ties in these floats

    for t in range(sim.shape[0]):
        got = np.argsort(-dump['reranked_t2v'][t], kind='stable').tolist()
        assert got == expected_order(sim[t].tolist())
    for v in range(sim.shape[1]):
        got = np.argsort(-dump['reranked_v2t'][:, v], kind='stable')
        assert got.tolist() == expected_order(sim[:, v].tolist())
    want = retrieval_metrics(sim, gt)
    for direction in ('t2v', 'v2t'):
        want.update(
            {
                f'rerank/{k}': v
                for k, v in retrieval_metrics(
                    dump[f'reranked_{direction}'], gt
                ).items()
                if k.startswith(direction)
            }
        )
    metrics = _test_metrics(tmp / 'rerank')
    assert set(metrics) == set(want)
    for key, value in want.items():
        assert metrics[key] == pytest.approx(value, abs=1e-4), key
    log = next((tmp / 'rerank').rglob('*.log')).read_text()
    assert 'rerank | t2v' in log and 'rerank | v2t' in log
