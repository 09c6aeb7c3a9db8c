"""``make demo``: the whole path on the built-in synthetic world.

Generates the synthetic world if it is missing, trains each demo config on
this machine, evaluates the best (validation) checkpoint on the test split,
prints a table and writes ``work_dirs/demo/metrics.json``.
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

from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.evaluation.functional import format_retrieval_table  # noqa: E402
from hbi.utils import load_config  # noqa: E402

DEMO_CONFIGS = {
    'CLIP4Clip meanP':
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-10e_synthetic.py',
    'HBI':
    'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-10e_synthetic.py',
}


def ensure_world(data_root: str) -> None:
    path = osp.join(ROOT, 'tools/data/synthetic/generate_synthetic_world.py')
    spec = importlib.util.spec_from_file_location('synthetic_world', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate_world(data_root)


def run(name: str, config: str, work_dir: str, cfg_options: dict) -> dict:
    cfg = load_config(osp.join(ROOT, config), cfg_options)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    runner = HBIRunner.from_cfg(cfg)
    start = time.time()
    runner.train()
    train_s = time.time() - start
    best = next((h.best_ckpt_path for h in runner.hooks
                 if isinstance(h, CheckpointHook)
                 and getattr(h, 'best_ckpt_path', None)), None)
    if best:
        runner.load_checkpoint(best)
    metrics = runner.test()
    return dict(config=config, train_seconds=round(train_s, 1),
                checkpoint=best or 'last', metrics=metrics)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    args = parser.parse_args(argv)
    start = time.time()
    ensure_world(args.data_root)
    options = {}
    if args.epochs:
        options['train_cfg.max_epochs'] = args.epochs
    results = {}
    for i, (name, config) in enumerate(DEMO_CONFIGS.items()):
        results[name] = run(name, config,
                            osp.join(args.work_dir, f'run{i}'), options)
    out = osp.join(args.work_dir, 'metrics.json')
    with open(out, 'w') as f:
        json.dump(dict(results=results,
                       total_seconds=round(time.time() - start, 1)), f,
                  indent=2)
    print('\n' + '=' * 72)
    for name, res in results.items():
        print(f'{name}  (trained {res["train_seconds"]} s, '
              f'test split of the synthetic world)')
        print(format_retrieval_table(res['metrics']))
    print(f'chance R@1 = {100 / 500:.2f}%;  metrics written to {out};  '
          f'total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
