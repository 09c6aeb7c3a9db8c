"""``make demo``: the whole path on the built-in synthetic world.

Generates the synthetic world if it is missing, then runs the demo's
STAGES in order and prints ONE table with a row per (task, model), written
also to ``work_dirs/demo/metrics.json``. The default is HBI's full recipe:

1. ``meanp``: CLIP4Clip meanP (tiny CLIP towers from scratch);
2. ``banzhaf_teacher``: the Banzhaf Interaction estimator trained on the
   FROZEN meanP towers against Monte-Carlo labels, exported as the teacher;
3. ``hbi``: HBI (seqTransf + hierarchical Banzhaf head) distilled from it;
4. ``captioning``: the HBI encoder-decoder (journal version) initialised
   from the HBI retriever, captions scored with pycocoevalcap next to two
   baselines;
5. ``videoqa``: the released HBI QA model fine-tuned from the HBI
   retriever, accuracy next to two baselines that never see the video.

A stage is a function ``stage(ctx: DemoContext) -> List[DemoRow]``: it may
read what earlier stages left in ``ctx.artifacts`` (e.g. the meanP
checkpoint) and leave its own there. A new task adds its row(s) by writing
one such function (``tools/demo_stages/``) and appending it to
:data:`STAGES`. Each model is trained, its best validation checkpoint
evaluated on the test split.

The demo's time budget (10 minutes on a 2-core machine, world generation
included) is kept through the settings below (:data:`SCHEDULES`), not by a
smaller world: the configs' own schedules are longer.
"""

import argparse
import json
import os.path as osp
import sys
import time
from dataclasses import asdict
from typing import List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.demo_stages.captioning import captioning_stage  # noqa: E402
from tools.demo_stages.common import (  # noqa: E402, F401
    SCHEDULES,
    DemoContext,
    DemoRow,
    Stage,
    cpu_seconds,
    format_demo_table,
    load_module,
)
from tools.demo_stages.retrieval import (  # noqa: E402
    banzhaf_teacher_stage,
    hbi_stage,
    meanp_stage,
)
from tools.demo_stages.videoqa import qa_baselines, videoqa_stage  # noqa: E402, F401


def ensure_world(data_root: str) -> None:
    load_module(
        'tools/data/synthetic/generate_synthetic_world.py'
    ).generate_world(data_root)


#: The demo, in order. Append ``(name, function)`` to add a task.
STAGES: List[Tuple[str, Stage]] = [
    ('meanp', meanp_stage),
    ('banzhaf_teacher', banzhaf_teacher_stage),
    ('hbi', hbi_stage),
    ('captioning', captioning_stage),
    ('videoqa', videoqa_stage),
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
    start, cpu = time.time(), cpu_seconds()
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
        cpu_seconds=round(cpu_seconds() - cpu, 1),
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
