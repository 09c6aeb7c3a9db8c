"""Train a model: ``python tools/train.py CONFIG [options]``."""

import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.utils import (  # noqa: E402
    ConfigOptionsAction,
    destroy_process_group,
    load_config,
    setup_launcher,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train an hbi model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from PATH, or from the latest checkpoint of the work '
        'dir when no PATH is given',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (GPU only): the '
        'towers run under autocast, the heads in float32',
    )
    parser.add_argument(
        '--amp-dtype',
        default='float16',
        choices=['float16', 'bfloat16'],
        help='autocast dtype of --amp (default float16, with '
        'dynamic loss scaling)',
    )
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic algorithms (slower)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=ConfigOptionsAction,
        help='override config keys, e.g. data_root=DIR max_epochs=3 '
        '(values are converted to the type of the key; unknown keys, '
        'wrong types and overrides that change nothing are errors; see '
        'docs/en/user_guides/config_overrides.md)',
    )
    parser.add_argument(
        '--launcher',
        default='none',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def launcher_world_size(launcher: str) -> int:
    """Processes of this run, known before the Runner exists."""
    if launcher == 'none':
        return 1
    for key in ('WORLD_SIZE', 'SLURM_NTASKS', 'OMPI_COMM_WORLD_SIZE'):
        if os.environ.get(key):
            return int(os.environ[key])
    return 1


def apply_global_batch_size(cfg, world_size: int) -> None:
    """Set the per-rank batch from the optional ``global_batch_size`` key.

    ``global_batch_size`` is the number of samples per optimiser step:
    per-rank batch = global_batch_size / (world_size x accumulative_counts),
    where ``accumulative_counts`` is mmengine's gradient accumulation
    (``optim_wrapper.accumulative_counts``, default 1). The contrastive loss
    sees per-rank batch x world_size pairs (features are gathered across
    ranks, not across accumulated steps).

    Raises:
        ValueError: ``global_batch_size`` is not divisible.
    """
    global_batch = cfg.get('global_batch_size')
    if global_batch is None:
        return
    accumulate = int(cfg.optim_wrapper.get('accumulative_counts', 1))
    per_step = world_size * accumulate
    if global_batch <= 0 or global_batch % per_step:
        raise ValueError(
            f'global_batch_size={global_batch} is not divisible by world_size '
            f'({world_size}) x optim_wrapper.accumulative_counts '
            f'({accumulate}) = {per_step}'
        )
    cfg.train_dataloader.batch_size = global_batch // per_step


def build_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = (
        args.work_dir
        or cfg.get('work_dir')
        or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    if args.amp:
        import torch

        if not torch.cuda.is_available():
            raise SystemExit(
                '--amp needs a GPU: mixed precision on this CPU '
                "is not supported by mmengine's AmpOptimWrapper"
            )
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = args.amp_dtype
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.seed is not None or args.deterministic:
        randomness = dict(cfg.get('randomness', {}))
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
        cfg.randomness = randomness
    apply_global_batch_size(cfg, launcher_world_size(args.launcher))
    setup_launcher(cfg, args.launcher)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    runner = HBIRunner.from_cfg(build_config(args))
    runner.train()
    destroy_process_group()


if __name__ == '__main__':
    main()
