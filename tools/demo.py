"""``make demo``: the whole path on the built-in synthetic world.

Generates the synthetic world if it is missing, then runs the demo's
STAGES in order and prints ONE table with a row per (task, model), written
also to ``work_dirs/demo/metrics.json``. The default is HBI's full recipe:

1. ``meanp``: CLIP4Clip meanP (tiny CLIP towers from scratch);
2. ``banzhaf_teacher``: the Banzhaf Interaction estimator trained on the
   FROZEN meanP towers against Monte-Carlo labels, exported as the teacher;
3. ``hbi``: HBI (seqTransf + hierarchical Banzhaf head) distilled from it.

A stage is a function ``stage(ctx: DemoContext) -> List[DemoRow]``: it may
read what earlier stages left in ``ctx.artifacts`` (e.g. the meanP
checkpoint) and leave its own there. A new task adds its row(s) by writing
one such function and appending it to :data:`STAGES` (captioning and
question answering are planned this way). Each model is trained, its best
validation checkpoint evaluated on the test split.

The demo's time budget (10 minutes on a 2-core machine, world generation
included) is kept through the settings below (:data:`SCHEDULES`), not by a
smaller world: the configs' own schedules are longer.
"""

import argparse
import importlib.util
import json
import os.path as osp
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402
from mmengine.hooks import CheckpointHook  # noqa: E402

from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.utils import load_config  # noqa: E402

MEANP = (
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI = 'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
ESTIMATOR = (
    'configs/banzhaf/banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py'
)
#: Epochs of each stage's training in the demo (``--epochs`` overrides all).
SCHEDULES = {'meanp': 6, 'banzhaf_teacher': 6, 'hbi': 6}
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


@dataclass
class DemoRow:
    """One row of the demo's table: a (task, model) and its figures.

    Args:
        task (str): E.g. ``'retrieval'``, ``'captioning'``, ``'QA'``.
        model (str): What was trained.
        figures (dict): Headline figures, in print order (name -> value).
        train_seconds (float): Wall time of the training.
        cpu_seconds (float): CPU time of the whole stage (training and
            testing, data workers included).
        metrics (dict): Every test metric (written to ``metrics.json``).
        digits (int): Decimals printed for the figures. Defaults to 1.
        notes (tuple[str, ...]): Lines printed under the table (each once).
    """

    task: str
    model: str
    figures: Dict[str, float]
    train_seconds: float
    cpu_seconds: float
    metrics: dict = field(default_factory=dict)
    digits: int = 1
    notes: Tuple[str, ...] = ()


def format_demo_table(rows: Sequence[DemoRow]) -> str:
    """The demo's one table: task | model | figures | train s, then the
    rows' notes."""
    lines = [('task', 'model', 'figures', 'train s')]
    for row in rows:
        figures = '  '.join(
            f'{name} {value:5.{row.digits}f}'
            for name, value in row.figures.items()
        )
        lines.append(
            (row.task, row.model, figures, f'{row.train_seconds:.0f}')
        )
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = [
        ' | '.join(
            cell.rjust(w) if i == 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    out.insert(1, '-+-'.join('-' * w for w in widths))
    notes = dict.fromkeys(note for row in rows for note in row.notes)
    return '\n'.join(out + [f'* {note}' for note in notes])


@dataclass
class DemoContext:
    """What the stages share.

    Args:
        data_root (str): The synthetic world.
        work_dir (str): Each stage works in a sub-folder of it.
        epochs (int, optional): Overrides every stage's epochs.
        with_teacher (bool): Train the Banzhaf teacher and distil HBI from
            it (the full recipe); False trains HBI without its Banzhaf terms.
        artifacts (dict): Files stages leave for later ones.
    """

    data_root: str
    work_dir: str
    epochs: Optional[int] = None
    with_teacher: bool = True
    artifacts: Dict[str, str] = field(default_factory=dict)

    def schedule(self, stage: str) -> int:
        return self.epochs or SCHEDULES[stage]


Stage = Callable[[DemoContext], List[DemoRow]]


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


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (data workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in (own, children))


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


def run_options(data_root: str, epochs: int) -> Dict[str, object]:
    """The world at ``data_root`` in every loader; ``epochs`` epochs (the
    configs' schedules follow ``max_epochs``), validated once, at the end.
    """
    return {
        'data_root': data_root,
        'max_epochs': epochs,
        'train_cfg.val_interval': epochs,
    }


def _current(cfg, key: str):
    node = cfg
    for part in key.split('.'):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None:
            return None
    return node


def changes_only(config: str, options: Dict[str, object]) -> dict:
    """``options`` without those the config already holds: an override of
    a variable that changes nothing is refused (config_overrides.md)."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    return {k: v for k, v in options.items() if _current(cfg, k) != v}


def train_and_test(
    config: str, work_dir: str, options: Dict[str, object]
) -> Tuple[dict, str, float, float]:
    """Train ``config`` with ``--cfg-options``-style ``options``, then test
    its best validation checkpoint.

    Returns:
        tuple: (test metrics, best checkpoint, train wall seconds, stage CPU
        seconds).
    """
    cfg = load_config(osp.join(ROOT, config), changes_only(config, options))
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cpu = _cpu_seconds()
    runner = HBIRunner.from_cfg(cfg)
    start = time.time()
    runner.train()
    train_s = time.time() - start
    best = _best_checkpoint(runner)
    runner.load_checkpoint(best)
    metrics = runner.test()
    return metrics, best, train_s, _cpu_seconds() - cpu


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
    _load_module(
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
    metrics, _, train_s, cpu_s = train_and_test(
        HBI,
        osp.join(ctx.work_dir, 'hbi'),
        options,
    )
    return [_retrieval_row(name, metrics, train_s, cpu_s)]


#: The demo, in order. Append ``(name, function)`` to add a task.
STAGES: List[Tuple[str, Stage]] = [
    ('meanp', meanp_stage),
    ('banzhaf_teacher', banzhaf_teacher_stage),
    ('hbi', hbi_stage),
]


def run_stages(
    ctx: DemoContext, names: Optional[Sequence[str]] = None
) -> List[DemoRow]:
    """Run the chosen stages (all by default) in :data:`STAGES` order."""
    known = [name for name, _ in STAGES]
    unknown = sorted(set(names or ()) - set(known))
    if unknown:
        raise SystemExit(f'unknown demo stages {unknown}; known: {known}')
    rows = []
    for name, stage in STAGES:
        if names is None or name in names:
            print(f'\n=== demo stage: {name}', flush=True)
            rows.extend(stage(ctx))
    return rows


def main(argv=None) -> List[DemoRow]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--epochs', type=int, help="override every stage's epochs"
    )
    parser.add_argument(
        '--no-teacher',
        action='store_true',
        help='skip the Banzhaf teacher: HBI trains without its Banzhaf '
        'distillation terms (an ablation, not the method)',
    )
    parser.add_argument(
        '--stages',
        nargs='+',
        help='run only these stages (default: all of '
        f'{[name for name, _ in STAGES]}); later stages need the '
        "artifacts of earlier ones (the teacher needs meanp's checkpoint)",
    )
    args = parser.parse_args(argv)
    start, cpu = time.time(), _cpu_seconds()
    ensure_world(args.data_root)
    ctx = DemoContext(
        data_root=args.data_root,
        work_dir=args.work_dir,
        epochs=args.epochs,
        with_teacher=not args.no_teacher,
    )
    rows = run_stages(ctx, args.stages)
    out = osp.join(args.work_dir, 'metrics.json')
    total = dict(
        seconds=round(time.time() - start, 1),
        cpu_seconds=round(_cpu_seconds() - cpu, 1),
    )
    with open(out, 'w') as f:
        json.dump(
            dict(rows=[asdict(row) for row in rows], total=total), f, indent=2
        )
    print('\n' + format_demo_table(rows))
    print(
        f'metrics written to {out}; total {total["seconds"]:.0f} s '
        f'({total["cpu_seconds"]:.0f} CPU s)'
    )
    return rows


if __name__ == '__main__':
    main()
