"""The VideoQA stage: the released HBI QA model and two answer priors."""

import os.path as osp
from typing import Dict, List

from tools.demo_stages.common import (
    DemoContext,
    DemoRow,
    baseline_row,
    run_options,
    train_and_test,
)

QA = 'configs/videoqa/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic-qa.py'


def qa_baselines(data_root: str) -> Dict[str, dict]:
    """Test accuracy of two answer priors that never see the video: the
    majority answer, and the most frequent training answer of the same
    question."""
    from hbi.datasets.annotation_io import read_jsonl
    from hbi.evaluation.functional import prior_answers, qa_accuracy

    ann = osp.join(data_root, 'annotations')
    train = read_jsonl(osp.join(ann, 'qa_train.jsonl'))
    test = read_jsonl(osp.join(ann, 'qa_test.jsonl'))
    predictions = prior_answers(
        [r['question'] for r in train],
        [r['answer'] for r in train],
        [r['question'] for r in test],
    )
    names = dict(
        majority='majority answer (no video)',
        question_only='question only (no video)',
    )
    return {
        names[kind]: qa_accuracy(
            [-1] * len(test),
            [0] * len(test),
            [r.get('answer_type', '') for r in test],
            correct=[p == r['answer'] for p, r in zip(answers, test)],
        )
        for kind, answers in predictions.items()
    }


def videoqa_stage(ctx: DemoContext) -> List[DemoRow]:
    """The released HBI QA model, everything but its answer head
    initialised from the HBI stage's retriever, on the synthetic world's
    questions; two answer priors beside it."""
    options = run_options(ctx.data_root, ctx.schedule('videoqa'))
    if ctx.artifacts.get('hbi_checkpoint'):
        options['model.retriever_checkpoint'] = ctx.artifacts['hbi_checkpoint']
    metrics, _, train_s, cpu_s = train_and_test(
        QA, osp.join(ctx.work_dir, 'videoqa'), options
    )
    note = (
        'VideoQA: accuracy (%) on the test questions, answers outside the '
        'training vocabulary counted wrong (the standard protocol)',
    )
    rows = [
        DemoRow(
            task='VideoQA',
            model='released HBI QA model, from the HBI retriever',
            figures={'acc': metrics['qa/acc']},
            train_seconds=train_s,
            cpu_seconds=cpu_s,
            metrics=metrics,
            notes=note,
        )
    ]
    rows += [
        baseline_row('VideoQA', name, {'acc': scores['acc']}, note)
        for name, scores in qa_baselines(ctx.data_root).items()
    ]
    return rows
