"""HBI v1 against HBI-v2 (representation reconstruction) on the synthetic
world, with the same budget, over several seeds.

As ``make demo --with-teacher`` does for v1, once (with the first seed) and
shared by every seed:

1. CLIP4Clip meanP, trained (its towers play the teachers' games);
2. the v1 teacher: the estimator on the frozen meanP towers' single-modal
   maps; the v2 teacher: the same, on the maps of the tokens reconstructed
   by an HBI-v2 head at its initialisation
   (``configs/banzhaf/banzhaf-estimator-v2_...``);

then per seed (``randomness.seed``):

3. HBI v1 and HBI-v2, each distilled from its own teacher, the same
   epochs, data and schedule; each evaluated on the test split at its best
   validation checkpoint, and HBI-v2 also with re-ranking by the
   reconstructed similarity (``hbi-v2-rerank_...``: top-16, lambda 1).

Prints the mean and standard deviation of text-to-video R@1 (and R@5) and
writes every run's metrics to ``<work-dir>/results.json``. A finished stage
(its ``metrics.json``) is not run again, so an interrupted run resumes.

    python benchmarks/hbi_v2_synthetic.py --seeds 0 1 2
    python benchmarks/hbi_v2_synthetic.py --seeds 0 --epochs 1   # smoke run

On a loaded machine, set ``OMP_NUM_THREADS=1`` (OpenMP's busy waiting makes
each step several times slower otherwise) and run ``--only-shared`` first,
then one process per seed (``--seeds 1`` ...), then ``--seeds 0 1 2`` again
to print the table (all stages are then found done).
"""

import argparse
import importlib.util
import json
import os.path as osp
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.utils import load_config  # noqa: E402

MEANP = (
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI = 'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
HBI_V2 = (
    'configs/retrieval/hbi_v2/'
    'hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI_V2_RERANK = (
    'configs/retrieval/hbi_v2/'
    'hbi-v2-rerank_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
ESTIMATOR = {
    'v1': 'configs/banzhaf/'
    'banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py',
    'v2': 'configs/banzhaf/'
    'banzhaf-estimator-v2_vit-tiny-p8_1xb64-10e_synthetic.py',
}
ROWS = (
    ('HBI (v1)', 'hbi_v1', 't2v'),
    ('HBI-v2', 'hbi_v2', 't2v'),
    ('HBI-v2 + re-ranking (k=16, lambda=1)', 'hbi_v2_rerank', 'rerank/t2v'),
)


def _demo():
    spec = importlib.util.spec_from_file_location(
        'hbi_demo', osp.join(ROOT, 'tools/demo.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEMO = _demo()
#: Training and testing a config as the demo's stages do.
DEMO_STAGES = importlib.import_module('tools.demo_stages.common')


def _done(work_dir: str):
    path = osp.join(work_dir, 'metrics.json')
    if osp.isfile(path):
        with open(path) as f:
            return json.load(f)
    return None


def _save(work_dir: str, result: dict) -> dict:
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(result, f, indent=2)
    return result


def train_and_test(config: str, work_dir: str, options: dict) -> dict:
    """Train ``config``, test its best validation checkpoint."""
    done = _done(work_dir)
    if done:
        return done
    metrics, best, train_s, _ = DEMO_STAGES.train_and_test(
        config, work_dir, options
    )
    return _save(
        work_dir,
        dict(
            config=config,
            train_seconds=round(train_s, 1),
            checkpoint=best,
            metrics=metrics,
        ),
    )


def test_only(config: str, checkpoint: str, work_dir: str, options) -> dict:
    """Test ``checkpoint`` under ``config`` (e.g. with a reranker)."""
    done = _done(work_dir)
    if done:
        return done
    cfg = load_config(osp.join(ROOT, config), options)
    cfg.work_dir, cfg.experiment_name = work_dir, osp.basename(work_dir)
    runner = HBIRunner.from_cfg(cfg)
    runner.load_checkpoint(checkpoint)
    return _save(
        work_dir,
        dict(config=config, checkpoint=checkpoint, metrics=runner.test()),
    )


def teacher(
    version: str, meanp_ckpt: str, work_dir: str, epochs: int, options: dict
) -> str:
    """Train the ``version`` teacher on the frozen meanP towers, export it."""
    path = osp.join(work_dir, 'teacher.pth')
    if osp.isfile(path):
        return path
    cfg = load_config(
        osp.join(ROOT, ESTIMATOR[version]),
        dict(
            options,
            **{
                'model.retriever_checkpoint': meanp_ckpt,
                'train_cfg.max_epochs': epochs,
                'model.label_cache_dir': osp.join(work_dir, 'label_cache'),
            },
        ),
    )
    cfg.work_dir, cfg.experiment_name = work_dir, osp.basename(work_dir)
    runner = HBIRunner.from_cfg(cfg)
    runner.train()
    DEMO_STAGES.load_module(
        'tools/model_converters/export_banzhaf_estimator.py'
    ).export_estimator(DEMO_STAGES.best_checkpoint(runner), path)
    return path


def _data(args) -> dict:
    """The data_root override, unless it is the configs' own (an override
    that changes nothing is refused)."""
    if osp.normpath(args.data_root) == 'data/synthetic':
        return {}
    return {'data_root': args.data_root}


def shared_stages(args) -> dict:
    """meanP and the two teachers, trained once (``--shared-seed``) and
    shared by every seed's HBI runs."""
    root = osp.join(args.work_dir, 'shared')
    options = dict(_data(args), **{'randomness.seed': args.shared_seed})
    meanp_options = dict(options)
    if args.epochs:
        meanp_options['train_cfg.max_epochs'] = args.epochs
    meanp = train_and_test(MEANP, osp.join(root, 'meanp'), meanp_options)
    teachers = {
        version: teacher(
            version,
            meanp['checkpoint'],
            osp.join(root, f'estimator_{version}'),
            args.estimator_epochs,
            options,
        )
        for version in ('v1', 'v2')
    }
    return dict(meanp=meanp, teachers=teachers)


def run_seed(seed: int, shared: dict, args) -> dict:
    """HBI v1 and HBI-v2 trained with ``randomness.seed = seed``."""
    root = osp.join(args.work_dir, f'seed{seed}')
    options = dict(_data(args), **{'randomness.seed': seed})
    if args.epochs:
        options['train_cfg.max_epochs'] = args.epochs
    results = {}
    for version, config, name in (
        ('v1', HBI, 'hbi_v1'),
        ('v2', HBI_V2, 'hbi_v2'),
    ):
        teacher_file = shared['teachers'][version]
        results[name] = train_and_test(
            config,
            osp.join(root, name),
            dict(options, **{'model.head.teacher_checkpoint': teacher_file}),
        )
    results['hbi_v2_rerank'] = test_only(
        HBI_V2_RERANK,
        results['hbi_v2']['checkpoint'],
        osp.join(root, 'hbi_v2_rerank'),
        _data(args),
    )
    return results


def table(all_results: dict) -> str:
    seeds = sorted(all_results)
    lines = [
        f'| model | t2v R@1 (mean ± std, seeds {", ".join(map(str, seeds))})'
        ' | t2v R@5 | per seed R@1 |',
        '|---|---|---|---|',
    ]

    def mean_std(values) -> str:
        std = np.std(values, ddof=1) if len(values) > 1 else 0.0
        return f'{np.mean(values):.2f} ± {std:.2f}'

    for label, key, prefix in ROWS:
        r1 = [all_results[s][key]['metrics'][f'{prefix}/R@1'] for s in seeds]
        r5 = [all_results[s][key]['metrics'][f'{prefix}/R@5'] for s in seeds]
        lines.append(
            f'| {label} | {mean_std(r1)} | {mean_std(r5)}'
            f' | {", ".join(f"{v:.1f}" for v in r1)} |'
        )
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/hbi_v2_synthetic')
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    parser.add_argument('--estimator-epochs', type=int, default=3)
    parser.add_argument('--shared-seed', type=int, default=0)
    parser.add_argument(
        '--only-shared',
        action='store_true',
        help='train meanP and the teachers only (then the seeds may run '
        'as parallel processes, one --seeds S each)',
    )
    args = parser.parse_args(argv)
    DEMO.ensure_world(args.data_root)
    shared = shared_stages(args)
    if args.only_shared:
        return
    all_results = {seed: run_seed(seed, shared, args) for seed in args.seeds}
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(shared=shared, seeds=all_results), f, indent=2)
    print(table(all_results))


if __name__ == '__main__':
    main()
