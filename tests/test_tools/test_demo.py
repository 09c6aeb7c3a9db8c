"""tools/demo.py's structure: stages in order sharing artifacts, one table
with a row per (task, model), metrics.json (the stages' training is covered
by the tools tests; `make demo` runs them for real)."""

import json

import pytest

from tests.test_tools.fast_config import load_tool

demo = load_tool('demo')


def _row(task, model, figures, digits=1, notes=()):
    return demo.DemoRow(
        task=task,
        model=model,
        figures=figures,
        train_seconds=12.4,
        cpu_seconds=20.0,
        metrics=dict(figures),
        digits=digits,
        notes=notes,
    )


def test_table_has_a_row_per_task_and_model():
    rows = [
        _row(
            'retrieval', 'meanP', {'t2v R@1': 5.61, 'MdR': 15.0}, notes=('a',)
        ),
        _row('Banzhaf teacher', 'estimator', {'rel. MSE': 0.4567}, 3),
        _row('retrieval', 'HBI', {'t2v R@1': 10.0, 'MdR': 9.0}, notes=('a',)),
        _row('captioning', 'decoder', {'CIDEr': 31.25}, notes=('b',)),
    ]
    lines = demo.format_demo_table(rows).splitlines()
    cells = [[c.strip() for c in line.split(' | ')] for line in lines[:6]]
    assert cells[0] == ['task', 'model', 'figures', 'train s']
    assert set(lines[1]) <= {'-', '+'}
    assert cells[2] == ['retrieval', 'meanP', 't2v R@1   5.6  MdR  15.0', '12']
    assert cells[3][2] == 'rel. MSE 0.457'
    assert cells[5][:3] == ['captioning', 'decoder', 'CIDEr  31.2']
    assert lines[6:] == ['* a', '* b']  # each note once, in order


def test_stages_run_in_order_and_share_artifacts(tmp_path, monkeypatch):
    calls = []

    def first(ctx):
        calls.append('first')
        ctx.artifacts['checkpoint'] = 'x.pth'
        return [_row('retrieval', 'meanP', {'t2v R@1': 1.0})]

    def second(ctx):
        calls.append(('second', ctx.artifacts['checkpoint']))
        return [_row('QA', 'heads', {'acc': 50.0})]

    monkeypatch.setattr(demo, 'STAGES', [('first', first), ('second', second)])
    monkeypatch.setattr(demo, 'ensure_world', lambda root: None)
    rows = demo.main(['--work-dir', str(tmp_path), '--data-root', 'w'])
    assert calls == ['first', ('second', 'x.pth')]
    assert [(r.task, r.model) for r in rows] == [
        ('retrieval', 'meanP'),
        ('QA', 'heads'),
    ]
    saved = json.loads((tmp_path / 'metrics.json').read_text())
    assert [r['model'] for r in saved['rows']] == ['meanP', 'heads']
    assert saved['rows'][1]['figures'] == {'acc': 50.0}
    assert set(saved['total']) == {'seconds', 'cpu_seconds'}
    calls.clear()
    demo.main(['--work-dir', str(tmp_path), '--stages', 'first'])
    assert calls == ['first']
    with pytest.raises(SystemExit, match='unknown demo stages'):
        demo.main(['--work-dir', str(tmp_path), '--stages', 'third'])


def test_the_default_is_the_full_recipe():
    assert [name for name, _ in demo.STAGES] == [
        'meanp',
        'banzhaf_teacher',
        'hbi',
        'captioning',
        'videoqa',
    ]
    ctx = demo.DemoContext(data_root='w', work_dir='d')
    assert ctx.with_teacher
    assert (
        demo.banzhaf_teacher_stage(
            demo.DemoContext(data_root='w', work_dir='d', with_teacher=False)
        )
        == []
    )
