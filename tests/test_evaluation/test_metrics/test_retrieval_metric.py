import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from hbi.evaluation.functional import (
    dual_softmax,
    format_retrieval_table,
    qb_norm,
    retrieval_metrics,
)
from hbi.evaluation.metrics import RetrievalMetric
from hbi.registry import METRICS


def make_sample(seed=0, num_videos=12, with_bank=True):
    rng = np.random.default_rng(seed)
    text_to_video = np.repeat(np.arange(num_videos), 2)
    sim = rng.uniform(-1, 1, (2 * num_videos, num_videos)).astype(np.float32)
    sim[np.arange(len(sim)), text_to_video] += 0.5
    sample = dict(similarity=sim, text_to_video=text_to_video)
    if with_bank:
        sample['bank_similarity'] = rng.uniform(
            -1, 1, (30, num_videos)
        ).astype(np.float32)
    return sample


def run_evaluator(metric, sample):
    evaluator = Evaluator(metric)
    evaluator.process(data_samples=[sample], data_batch=None)
    return evaluator.evaluate(1)


def test_raw_metrics_match_functions():
    sample = make_sample(with_bank=False)
    out = run_evaluator(RetrievalMetric(ks=(1, 5)), sample)
    assert out == dict(
        retrieval_metrics(
            sample['similarity'], sample['text_to_video'], (1, 5)
        ),
        v2t_rule='best_caption_per_video',
    )
    assert not any(key.startswith(('dsl/', 'qb_norm/')) for key in out)


def test_v2t_rule_is_passed_on_and_named(capsys):
    MMLogger.get_instance('test_retrieval_metric_rule')
    sample = make_sample(with_bank=False)
    sim, gt = sample['similarity'], sample['text_to_video']
    out = run_evaluator(
        RetrievalMetric(v2t_rule='all_captions', rescorers=('dsl',)), sample
    )
    assert out['v2t_rule'] == 'all_captions'
    for prefix, matrix in (('', sim), ('dsl/', dual_softmax(sim))):
        expected = retrieval_metrics(matrix, gt, v2t_rule='all_captions')
        assert {k: out[prefix + k] for k in expected} == expected
    default = run_evaluator(RetrievalMetric(), sample)
    assert default['v2t/MnR'] != out['v2t/MnR']  # two captions per video
    logged = capsys.readouterr()
    assert 'v2t rule all_captions' in logged.out + logged.err
    with pytest.raises(ValueError, match='video-to-text rule'):
        RetrievalMetric(v2t_rule='clip4clip')


def test_rescored_metrics_match_functions():
    sample = make_sample()
    sim, gt = sample['similarity'], sample['text_to_video']
    metric = RetrievalMetric(
        rescorers=('dsl', 'qb_norm'),
        dsl_temperature=50.0,
        qb_norm_k=2,
        qb_norm_beta=10.0,
    )
    out = run_evaluator(metric, sample)
    expected = retrieval_metrics(sim, gt)
    expected.update(
        {
            f'dsl/{k}': v
            for k, v in retrieval_metrics(dual_softmax(sim, 50.0), gt).items()
        }
    )
    expected.update(
        {
            f'qb_norm/{k}': v
            for k, v in retrieval_metrics(
                qb_norm(sim, sample['bank_similarity'], 2, 10.0), gt
            ).items()
            if k.startswith('t2v/')
        }
    )
    assert out == dict(expected, v2t_rule='best_caption_per_video')
    # raw t2v+v2t, dsl t2v+v2t, qb_norm t2v, and the rule
    assert len(out) == 6 * 5 + 1


def test_only_configured_rescorer_and_prefix():
    sample = make_sample()
    out = run_evaluator(
        RetrievalMetric(rescorers=['dsl'], prefix='retrieval'), sample
    )
    assert 'retrieval/dsl/v2t/R@10' in out
    assert 'retrieval/t2v/MnR' in out
    assert not any('qb_norm' in key for key in out)
    assert all(key.startswith('retrieval/') for key in out)


def test_torch_inputs_and_results_reset():
    sample = make_sample(with_bank=False)
    metric = RetrievalMetric()
    torch_sample = {k: torch.from_numpy(v) for k, v in sample.items()}
    out = run_evaluator(metric, torch_sample)
    assert out == dict(
        retrieval_metrics(sample['similarity'], sample['text_to_video']),
        v2t_rule='best_caption_per_video',
    )
    assert metric.results == []


def test_qb_norm_bank_missing_and_self():
    sample = make_sample(with_bank=False)
    with pytest.raises(ValueError, match='bank_similarity'):
        run_evaluator(RetrievalMetric(rescorers=('qb_norm',)), sample)
    out = run_evaluator(
        RetrievalMetric(rescorers=('qb_norm',), qb_norm_bank='self'), sample
    )
    sim, gt = sample['similarity'], sample['text_to_video']
    assert (
        out['qb_norm/t2v/R@1']
        == retrieval_metrics(qb_norm(sim, sim), gt)['t2v/R@1']
    )


def test_built_from_registry_and_config():
    metric = METRICS.build(dict(type='RetrievalMetric', rescorers=('dsl',)))
    assert isinstance(metric, RetrievalMetric)
    with DefaultScope.overwrite_default_scope('hbi'):
        evaluator = Evaluator(dict(type='RetrievalMetric', ks=(1,)))
    assert isinstance(evaluator.metrics[0], RetrievalMetric)
    assert evaluator.metrics[0].ks == (1,)


def test_logs_table(capsys):
    MMLogger.get_instance('test_retrieval_metric_log')
    sample = make_sample()
    out = run_evaluator(RetrievalMetric(rescorers=('dsl',)), sample)
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert format_retrieval_table(out) in text
    assert 'dsl    | v2t' in text


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(rescorers=('dsl', 'nope')), 'rescorers'),
        (dict(rescorers='dsl'), 'rescorers'),
        (dict(rescorers=('dsl', 'dsl')), 'rescorers'),
        (dict(ks=(0, 1)), 'ks'),
        (dict(qb_norm_bank='train'), 'qb_norm_bank'),
    ],
)
def test_constructor_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RetrievalMetric(**kwargs)


def test_process_and_compute_validation():
    metric = RetrievalMetric()
    with pytest.raises(ValueError, match='text_to_video'):
        metric.process(None, [dict(similarity=np.zeros((2, 2)))])
    with pytest.raises(ValueError, match='numpy array or a torch tensor'):
        metric.process(None, [dict(similarity=[[0.0]], text_to_video=[0])])
    sample = make_sample(with_bank=False)
    with pytest.raises(ValueError, match='exactly one'):
        metric.compute_metrics([sample, sample])
    with pytest.raises(ValueError, match='exactly one'):
        metric.compute_metrics([])
