"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``."""

import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


from hbi.engine.runner import HBIRunner  # noqa: E402
from hbi.registry import LOOPS  # noqa: E402
from hbi.utils import (  # noqa: E402
    ConfigOptionsAction,
    destroy_process_group,
    load_config,
    setup_launcher,
)
from hbi.utils.pretrained_files import weights_from_checkpoint  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an hbi model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save logs and metrics')
    parser.add_argument(
        '--dump',
        type=str,
        help='save the results: retrieval, the similarity matrix and ids '
        '(.npz); captioning, {video_id: caption} (.json); VideoQA, each '
        'question with its predicted and true answers (.jsonl)',
    )
    parser.add_argument(
        '--show-dir',
        type=str,
        help='write examples as PNG files into this folder: retrieval, a '
        'caption and its top-5 videos; captioning, frames with the '
        'generated and the reference captions',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=ConfigOptionsAction,
        help='override config keys, e.g. data_root=DIR (see '
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


def build_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = (
        args.work_dir
        or cfg.get('work_dir')
        or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    suffix = dump_suffix(cfg)
    if args.dump and not args.dump.endswith(suffix):
        raise SystemExit(
            f'--dump must name a {suffix} file for this config, got '
            f'{args.dump}'
        )
    if args.show_dir and test_loop_task(cfg) == 'videoqa':
        raise SystemExit(
            '--show-dir draws retrieval examples and captioned frames; for '
            'VideoQA use --dump ANSWERS.jsonl'
        )
    if args.show_dir and not args.dump:  # the examples are drawn from it
        name = 'similarity' if suffix == '.npz' else 'predictions'
        args.dump = osp.join(args.show_dir, name + suffix)
        os.makedirs(args.show_dir, exist_ok=True)
    if args.dump:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, dump=args.dump)
    setup_launcher(cfg, args.launcher)
    return cfg


def test_loop_task(cfg) -> str:
    """The task of the config's test loop (its ``task`` attribute;
    ``'retrieval'`` for the retrieval loops)."""
    loop = LOOPS.get(cfg.get('test_cfg', {}).get('type', ''))
    return getattr(loop, 'task', 'retrieval')


def dump_suffix(cfg) -> str:
    """The file type ``--dump`` writes for the config's test loop."""
    loop = LOOPS.get(cfg.get('test_cfg', {}).get('type', ''))
    return getattr(loop, 'dump_suffix', '.npz')


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    # The checkpoint holds the whole model (its load lists anything
    # missing): the files only training reads (ViT-B-32.pt, the estimator)
    # need not exist.
    with weights_from_checkpoint():
        runner = HBIRunner.from_cfg(cfg)
    metrics = runner.test()
    if args.show_dir and runner.rank == 0:
        if test_loop_task(cfg) == 'captioning':
            show_captions(runner, args.dump, args.show_dir)
        else:
            show_examples(runner, args.dump, args.show_dir)
    destroy_process_group()
    return metrics


def show_captions(runner, dump: str, show_dir: str) -> None:
    import json

    from hbi.visualization import plot_caption_examples

    with open(dump, encoding='utf-8') as f:
        predictions = json.load(f)
    dataset = runner.test_dataloader.dataset
    files = plot_caption_examples(
        {v['video_id']: v['video_path'] for v in dataset.videos},
        predictions,
        {
            v['video_id']: [dataset.texts[t]['caption'] for t in refs]
            for v, refs in zip(dataset.videos, dataset.video_texts)
        },
        show_dir,
    )
    runner.logger.info(f'{len(files)} caption examples written to {show_dir}')


def show_examples(runner, dump: str, show_dir: str) -> None:
    import numpy as np

    from hbi.visualization import plot_retrieval_examples

    data = np.load(dump)
    dataset = runner.test_dataloader.dataset
    files = plot_retrieval_examples(
        data['similarity'],
        data['text_to_video'],
        data['captions'],
        [v['video_path'] for v in dataset.videos],
        show_dir,
    )
    runner.logger.info(
        f'{len(files)} retrieval examples written to {show_dir}'
    )


if __name__ == '__main__':
    main()
