"""The retrieval stages: CLIP4Clip meanP, the Banzhaf teacher on its
frozen towers, HBI distilled from it."""

import os.path as osp
from typing import List

from tools.demo_stages.common import (
    DemoContext,
    DemoRow,
    load_module,
    run_options,
    train_and_test,
)

MEANP = (
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI = 'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
ESTIMATOR = (
    'configs/banzhaf/banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py'
)
#: Training videos the estimator sees, the first N of the 2,000 (the
#: ``indices`` video subset); None for all.
ESTIMATOR_TRAIN_VIDEOS = None
RETRIEVAL_FIGURES = (
    ('t2v R@1', 't2v/R@1'),
    ('R@5', 't2v/R@5'),
    ('R@10', 't2v/R@10'),
    ('MdR', 't2v/MdR'),
    ('v2t R@1', 'v2t/R@1'),
)


def _retrieval_row(model: str, metrics, train_s, cpu_s) -> DemoRow:
    return DemoRow(
        task='retrieval',
        model=model,
        figures={name: metrics[key] for name, key in RETRIEVAL_FIGURES},
        train_seconds=train_s,
        cpu_seconds=cpu_s,
        metrics=metrics,
        notes=(
            'retrieval: test split of the synthetic world, 500 videos x 5 '
            'captions, every caption a query; chance t2v R@1 = 0.2%; v2t: '
            'a video ranked among the videos, each scored by its best '
            'caption',
        ),
    )


def meanp_stage(ctx: DemoContext) -> List[DemoRow]:
    """CLIP4Clip meanP; leaves ``meanp_checkpoint``."""
    metrics, best, train_s, cpu_s = train_and_test(
        MEANP,
        osp.join(ctx.work_dir, 'meanp'),
        run_options(ctx.data_root, ctx.schedule('meanp')),
    )
    ctx.artifacts['meanp_checkpoint'] = best
    return [_retrieval_row('CLIP4Clip meanP', metrics, train_s, cpu_s)]


def banzhaf_teacher_stage(ctx: DemoContext) -> List[DemoRow]:
    """The Banzhaf estimator on the frozen meanP towers, exported as the
    teacher; leaves ``teacher``."""
    if not ctx.with_teacher:
        return []
    work_dir = osp.join(ctx.work_dir, 'banzhaf_teacher')
    metrics, best, train_s, cpu_s = train_and_test(
        ESTIMATOR,
        work_dir,
        {
            **run_options(ctx.data_root, ctx.schedule('banzhaf_teacher')),
            'model.retriever_checkpoint': ctx.artifacts['meanp_checkpoint'],
            'model.label_cache_dir': osp.join(work_dir, 'label_cache'),
            'train_dataloader.dataset.indices': ESTIMATOR_TRAIN_VIDEOS,
        },
    )
    teacher = osp.join(work_dir, 'teacher.pth')
    load_module(
        'tools/model_converters/export_banzhaf_estimator.py'
    ).export_estimator(best, teacher)
    ctx.artifacts['teacher'] = teacher
    return [
        DemoRow(
            task='Banzhaf teacher',
            model='estimator on the frozen meanP towers',
            figures={'rel. MSE': metrics['banzhaf/relative_mse']},
            train_seconds=train_s,
            cpu_seconds=cpu_s,
            metrics=metrics,
            digits=3,
            notes=(
                'Banzhaf teacher: MSE against Monte-Carlo Banzhaf '
                'Interaction labels on the test pairs, relative to the best '
                'constant (below 1 = it learned the game)',
            ),
        )
    ]


def hbi_stage(ctx: DemoContext) -> List[DemoRow]:
    """HBI, distilled from the teacher when there is one."""
    options = run_options(ctx.data_root, ctx.schedule('hbi'))
    name = 'HBI (Banzhaf terms off: no teacher)'
    if ctx.artifacts.get('teacher'):
        options['model.head.teacher_checkpoint'] = ctx.artifacts['teacher']
        name = 'HBI (distilled from the Banzhaf teacher)'
    metrics, best, train_s, cpu_s = train_and_test(
        HBI,
        osp.join(ctx.work_dir, 'hbi'),
        options,
    )
    ctx.artifacts['hbi_checkpoint'] = best
    return [_retrieval_row(name, metrics, train_s, cpu_s)]
