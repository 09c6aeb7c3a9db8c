"""``make demo``: the whole path on the built-in synthetic world.

Generates the synthetic world if it is missing, trains each demo config on
this machine, evaluates the best (validation) checkpoint on the test split,
prints a table and writes ``work_dirs/demo/metrics.json``. The VideoQA stage
fine-tunes the released HBI QA model from the HBI retriever just trained
and prints its accuracy on the test questions next to two baselines that
never look at the video (the majority answer, and the most frequent
training answer of the same question).
"""

import argparse
import importlib.util
import json
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.hooks import CheckpointHook  # noqa: E402

from hbi.datasets.annotation_io import read_jsonl  # noqa: E402
from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.evaluation.functional import (  # noqa: E402
    format_qa_rows,
    format_retrieval_table,
    prior_answers,
    qa_accuracy,
)
from hbi.utils import load_config  # noqa: E402

MEANP = (
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI = 'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
ESTIMATOR = (
    'configs/banzhaf/banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py'
)
QA = 'configs/videoqa/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic-qa.py'
QA_NAME = 'HBI VideoQA (released model, fine-tuned from the HBI retriever)'


def _load_module(relative_path: str):
    path = osp.join(ROOT, relative_path)
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f'hbi_demo_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_world(data_root: str) -> None:
    _load_module(
        'tools/data/synthetic/generate_synthetic_world.py'
    ).generate_world(data_root)


def train_estimator(
    retriever_ckpt: str, work_dir: str, epochs: int, data_root: str
) -> str:
    """Train the Banzhaf teacher on the frozen meanP towers and export it."""
    cfg = load_config(
        osp.join(ROOT, ESTIMATOR),
        {
            'data_root': data_root,
            'model.retriever_checkpoint': retriever_ckpt,
            'train_cfg.max_epochs': epochs,
        },
    )
    cfg.work_dir, cfg.experiment_name = work_dir, osp.basename(work_dir)
    cfg.param_scheduler = [
        dict(
            type='WarmupCosineLR',
            warmup=0.1,
            by_epoch=True,
            begin=0,
            end=epochs,
            convert_to_iter_based=True,
        )
    ]
    runner = HBIRunner.from_cfg(cfg)
    runner.train()
    exporter = _load_module(
        'tools/model_converters/export_banzhaf_estimator.py'
    )
    teacher = osp.join(work_dir, 'teacher.pth')
    exporter.export_estimator(_best_checkpoint(runner), teacher)
    return teacher


def _best_checkpoint(runner) -> str:
    best = next(
        (
            h.best_ckpt_path
            for h in runner.hooks
            if isinstance(h, CheckpointHook)
            and getattr(h, 'best_ckpt_path', None)
        ),
        None,
    )
    return best or osp.join(runner.work_dir, f'epoch_{runner.epoch}.pth')


def run(config: str, work_dir: str, cfg_options: dict) -> dict:
    cfg = load_config(osp.join(ROOT, config), cfg_options)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    runner = HBIRunner.from_cfg(cfg)
    start = time.time()
    runner.train()
    train_s = time.time() - start
    best = _best_checkpoint(runner)
    runner.load_checkpoint(best)
    metrics = runner.test()
    return dict(
        config=config,
        train_seconds=round(train_s, 1),
        checkpoint=best,
        metrics=metrics,
    )


def qa_baselines(data_root: str) -> dict:
    """Test accuracy of the majority answer and of the question-only prior
    (the most frequent training answer of the same question)."""
    ann = osp.join(data_root, 'annotations')
    train = read_jsonl(osp.join(ann, 'qa_train.jsonl'))
    test = read_jsonl(osp.join(ann, 'qa_test.jsonl'))
    predictions = prior_answers(
        [r['question'] for r in train],
        [r['answer'] for r in train],
        [r['question'] for r in test],
    )
    types = [r.get('answer_type', '') for r in test]
    names = dict(
        majority='majority answer (no video)',
        question_only='question only (no video)',
    )
    return {
        names[kind]: qa_accuracy(
            [-1] * len(test),
            [0] * len(test),
            types,
            correct=[p == r['answer'] for p, r in zip(answers, test)],
        )
        for kind, answers in predictions.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    parser.add_argument(
        '--with-teacher',
        action='store_true',
        help='also train the Banzhaf estimator on the frozen meanP towers '
        'and train HBI against it (about 3 more minutes)',
    )
    parser.add_argument('--estimator-epochs', type=int, default=3)
    parser.add_argument(
        '--qa-epochs',
        type=int,
        default=3,
        help='epochs of the VideoQA fine-tuning (one question per video each)',
    )
    args = parser.parse_args(argv)
    start = time.time()
    ensure_world(args.data_root)
    # An absolute path: it reaches every dataloader, and it is never the
    # configs' own (relative) value, which the override check refuses as
    # changing nothing.
    options = {'data_root': osp.abspath(args.data_root)}
    if args.epochs:
        options['train_cfg.max_epochs'] = args.epochs
    results = {
        'CLIP4Clip meanP': run(
            MEANP, osp.join(args.work_dir, 'meanp'), options
        )
    }
    hbi_options = dict(options)
    name = 'HBI (Banzhaf terms off: no teacher)'
    if args.with_teacher:
        teacher = train_estimator(
            results['CLIP4Clip meanP']['checkpoint'],
            osp.join(args.work_dir, 'estimator'),
            args.estimator_epochs,
            args.data_root,
        )
        hbi_options['model.head.teacher_checkpoint'] = teacher
        name = 'HBI (with Banzhaf teacher)'
    results[name] = run(HBI, osp.join(args.work_dir, 'hbi'), hbi_options)
    qa_options = dict(
        options,
        max_epochs=args.qa_epochs,
        **{'model.retriever_checkpoint': results[name]['checkpoint']},
    )
    qa_options.pop('train_cfg.max_epochs', None)
    results[QA_NAME] = run(QA, osp.join(args.work_dir, 'qa'), qa_options)
    baselines = qa_baselines(args.data_root)
    out = osp.join(args.work_dir, 'metrics.json')
    with open(out, 'w') as f:
        json.dump(
            dict(
                results=results,
                qa_baselines=baselines,
                total_seconds=round(time.time() - start, 1),
            ),
            f,
            indent=2,
        )
    print('\n' + '=' * 72)
    for name, res in results.items():
        if name == QA_NAME:
            continue
        print(
            f'{name}  (trained {res["train_seconds"]} s, '
            f'test split of the synthetic world)'
        )
        print(format_retrieval_table(res['metrics']))
    print(f'chance R@1 = {100 / 500:.2f}%')
    qa = results[QA_NAME]
    questions = qa['metrics']['qa/num_questions']
    print(
        f'\nVideoQA accuracy (%) on the {questions:.0f} test questions '
        f'({QA_NAME}: trained {qa["train_seconds"]} s)'
    )
    print(format_qa_rows({'HBI VideoQA': qa['metrics'], **baselines}))
    print(f'metrics written to {out};  total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
