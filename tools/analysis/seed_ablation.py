"""Train and test several configs with several seeds; tabulate mean ± std.

Each (config, seed) is trained with ``tools/train.py`` (the same
``--cfg-options`` budget for all), then its final checkpoint is tested with
``tools/test.py``; one json line per run is appended to ``--out`` as soon
as it ends, so a long batch can run in the background and be resumed (runs
already in the file are skipped). ``--summary`` prints the table.

Example (the companion methods' synthetic ablation)::

    C=configs/retrieval
    S=vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py
    python tools/analysis/seed_ablation.py \
        --configs $C/clip4clip/clip4clip_$S $C/taco/taco_$S \
        --seeds 0 1 2 --epochs 4 --out work_dirs/ablation/results.jsonl
    python tools/analysis/seed_ablation.py \
        --summary work_dirs/ablation/results.jsonl
"""

import argparse
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METRICS = ('t2v/R@1', 't2v/R@5', 't2v/R@10', 'v2t/R@1')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=[])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument(
        '--epochs', type=int, required=False, help='max_epochs of every run'
    )
    parser.add_argument('--work-root', default='work_dirs/ablation')
    parser.add_argument('--out', default='work_dirs/ablation/results.jsonl')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], help='given to every run'
    )
    parser.add_argument('--summary', help='print the table of a results file')
    parser.add_argument('--run', nargs=3, metavar=('CONFIG', 'SEED', 'DIR'))
    return parser.parse_args(argv)


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'hbi_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_one(config: str, seed: int, work_dir: str, options: List[str]):
    """Train then test in this process; write ``metrics.json``."""
    start = time.time()
    common = ['--work-dir', work_dir]
    if options:
        common += ['--cfg-options', *options]
    _tool('train').main([config, '--seed', str(seed), *common])
    epochs = sorted(
        int(name[len('epoch_') : -len('.pth')])
        for name in os.listdir(work_dir)
        if name.startswith('epoch_') and name.endswith('.pth')
    )
    checkpoint = osp.join(work_dir, f'epoch_{epochs[-1]}.pth')
    metrics = _tool('test').main([config, checkpoint, *common])
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(
            dict(
                # numbers only: the table also names e.g. its v2t rule
                metrics={
                    k: float(v)
                    for k, v in metrics.items()
                    if isinstance(v, (int, float))
                },
                seconds=time.time() - start,
            ),
            f,
        )


def summarize(path: str) -> str:
    """A markdown table: mean ± std over seeds of each config."""
    runs: Dict[str, List[dict]] = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            runs.setdefault(record['config'], []).append(record)
    rows = [
        '| config | seeds | ' + ' | '.join(METRICS) + ' | minutes/run |',
        '|---' * (len(METRICS) + 3) + '|',
    ]
    for config, records in runs.items():
        cells = []
        for key in METRICS:
            values = np.array([r['metrics'][key] for r in records])
            cells.append(f'{values.mean():.1f} ± {values.std(ddof=0):.1f}')
        minutes = np.mean([r['seconds'] for r in records]) / 60
        seeds = ','.join(str(r['seed']) for r in records)
        name = osp.splitext(osp.basename(config))[0]
        rows.append(
            f'| {name} | {seeds} | '
            + ' | '.join(cells)
            + f' | {minutes:.1f} |'
        )
    return '\n'.join(rows)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.run:
        config, seed, work_dir = args.run
        run_one(config, int(seed), work_dir, args.cfg_options)
        return
    if args.summary:
        print(summarize(args.summary))
        return
    options = list(args.cfg_options)
    if args.epochs:
        # Every run: the same epochs, no validation, test at the end.
        options += [
            f'train_cfg.max_epochs={args.epochs}',
            'train_cfg.val_interval=100000',
            'default_hooks.checkpoint.save_best=None',
        ]
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    done = set()
    if osp.isfile(args.out):
        with open(args.out) as f:
            done = {(r['config'], r['seed']) for r in map(json.loads, f) if r}
    for seed in args.seeds:  # seed-major: partial batches stay balanced
        for config in args.configs:
            if (config, seed) in done:
                continue
            name = osp.splitext(osp.basename(config))[0]
            work_dir = osp.join(args.work_root, f'{name}_seed{seed}')
            command = [
                sys.executable,
                osp.abspath(__file__),
                '--run',
                config,
                str(seed),
                work_dir,
            ]
            if options:
                command += ['--cfg-options', *options]
            log = osp.join(args.work_root, f'{name}_seed{seed}.log')
            os.makedirs(work_dir, exist_ok=True)
            with open(log, 'w') as f:
                code = subprocess.call(command, stdout=f, stderr=f)
            if code:
                print(f'FAILED ({code}): {config} seed {seed}; see {log}')
                continue
            with open(osp.join(work_dir, 'metrics.json')) as f:
                result = json.load(f)
            record = dict(config=config, seed=seed, options=options, **result)
            with open(args.out, 'a') as f:
                f.write(json.dumps(record) + '\n')
            print(
                f'{name} seed {seed}: t2v R@1 '
                f'{result["metrics"]["t2v/R@1"]:.1f} '
                f'({result["seconds"] / 60:.1f} min)',
                flush=True,
            )


if __name__ == '__main__':
    main()
