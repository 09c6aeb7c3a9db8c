"""tools/analysis/seed_ablation.py: a run's record keeps the numeric
metrics (the test tool's metrics also name their video-to-text rule), and
the summary is the mean and population std over seeds."""

import json
import types

from tests.test_tools.fast_config import load_tool

ablation = load_tool('analysis/seed_ablation')


def test_run_keeps_numeric_metrics(tmp_path, monkeypatch):
    def train(argv):
        (tmp_path / 'epoch_2.pth').write_bytes(b'')
        (tmp_path / 'epoch_10.pth').write_bytes(b'')

    tested = []

    def test(argv):
        tested.append(argv[1])
        return {'t2v/R@1': 12.5, 'v2t/R@1': 3, 'v2t_rule': 'best_caption'}

    tools = dict(
        train=types.SimpleNamespace(main=train),
        test=types.SimpleNamespace(main=test),
    )
    monkeypatch.setattr(ablation, '_tool', tools.__getitem__)
    ablation.run_one('cfg.py', 0, str(tmp_path), [])
    record = json.loads((tmp_path / 'metrics.json').read_text())
    assert record['metrics'] == {'t2v/R@1': 12.5, 'v2t/R@1': 3.0}
    assert tested == [str(tmp_path / 'epoch_10.pth')]  # the last epoch


def test_summary_is_mean_and_population_std(tmp_path):
    path = tmp_path / 'results.jsonl'
    metrics = [
        {'t2v/R@1': 1.0, 't2v/R@5': 5.0, 't2v/R@10': 9.0, 'v2t/R@1': 2.0},
        {'t2v/R@1': 3.0, 't2v/R@5': 7.0, 't2v/R@10': 9.0, 'v2t/R@1': 2.0},
    ]
    path.write_text(
        ''.join(
            json.dumps(
                dict(config='a/meanp.py', seed=s, metrics=m, seconds=120)
            )
            + '\n'
            for s, m in enumerate(metrics)
        )
    )
    row = ablation.summarize(str(path)).splitlines()[-1]
    # R@1: mean 2, population std 1; R@5: 6 ± 1; 2 minutes per run
    assert row == (
        '| meanp | 0,1 | 2.0 ± 1.0 | 6.0 ± 1.0 | 9.0 ± 0.0 | 2.0 ± 0.0 | 2.0 |'
    )
