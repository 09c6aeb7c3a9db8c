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
from hbi.evaluation.functional import (  # noqa: E402
    format_caption_table,
    format_retrieval_table,
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
#: The synthetic world's folder in every demo config.
DATA_ROOT = 'data/synthetic'
CAPTION = (
    'configs/captioning/hbi_v2/'
    'hbi-v2_vit-tiny-p8-hbi-pre_1xb64-u12-4e_synthetic.py'
)


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
    options = {
        'model.retriever_checkpoint': retriever_ckpt,
        'train_cfg.max_epochs': epochs,
    }
    if osp.normpath(data_root) != DATA_ROOT:
        options['data_root'] = data_root
    cfg = load_config(osp.join(ROOT, ESTIMATOR), options)
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


def train_and_test(config: str, work_dir: str, cfg_options: dict):
    """Train ``config``, test its best checkpoint; the result and the
    runner (whose model and datasets later stages may use)."""
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
    result = dict(
        config=config,
        train_seconds=round(train_s, 1),
        checkpoint=best,
        metrics=metrics,
    )
    return result, runner


def run(config: str, work_dir: str, cfg_options: dict) -> dict:
    return train_and_test(config, work_dir, cfg_options)[0]


def run_captioning(
    work_dir: str, cfg_options: dict, retriever_checkpoint: str = ''
) -> dict:
    """The captioning stage: train the HBI encoder-decoder (retrieval losses
    on; its retriever initialised from ``retriever_checkpoint``, e.g. the
    HBI stage's, when given), caption the test videos (beam 3) and score
    them, and score two baselines the same way (CaptionMetric's
    pycocoevalcap path, all 5 references): the most frequent training
    caption for every video, and the first caption of the training video
    nearest by the model's retrieval embedding (first-stage vector).

    Returns:
        dict: ``train_seconds``, ``checkpoint``, ``metrics`` (the model's
        ``caption/*``), ``baselines`` ({name: scores}), ``seconds``.
    """
    from hbi.apis import most_frequent_caption, nearest_video_captions
    from hbi.evaluation.functional import caption_scores_of_sets

    start = time.time()
    options = dict(cfg_options)
    options['test_cfg.dump'] = osp.join(work_dir, 'captions.json')
    # No validation pass (a decoding and a Java scoring run): the stage
    # tests its last checkpoint, which the config's one validation, after
    # the last epoch, would pick anyway.
    options['train_cfg.val_interval'] = 10**6
    if retriever_checkpoint:
        options['model.retriever_checkpoint'] = retriever_checkpoint
    result, runner = train_and_test(CAPTION, work_dir, options)
    test = runner.test_dataloader.dataset
    train = runner.train_dataloader.dataset.with_modality('video')
    references = {
        video['video_id']: [test.texts[t]['caption'] for t in refs]
        for video, refs in zip(test.videos, test.video_texts)
    }
    frequent = most_frequent_caption([t['caption'] for t in train.texts])
    nearest = nearest_video_captions(
        runner.model,
        train,
        test,
        batch_size=runner.test_dataloader.batch_size,
        num_workers=runner.test_dataloader.num_workers,
    )
    result['baselines'] = caption_scores_of_sets(
        {
            f'most frequent training caption ("{frequent}")': dict.fromkeys(
                references, frequent
            ),
            'nearest training video (retrieval embedding)': nearest,
        },
        references,
    )
    result['seconds'] = round(time.time() - start, 1)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default=DATA_ROOT)
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
        '--skip-captioning',
        action='store_true',
        help='leave out the captioning stage',
    )
    args = parser.parse_args(argv)
    start = time.time()
    ensure_world(args.data_root)
    # data_root reaches every dataloader; the configs' own value is not an
    # override (load_config refuses an override that changes nothing).
    options = {}
    if osp.normpath(args.data_root) != DATA_ROOT:
        options['data_root'] = args.data_root
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
    captioning = {}
    if not args.skip_captioning:
        captioning = run_captioning(
            osp.join(args.work_dir, 'captioning'),
            options,
            retriever_checkpoint=results[name]['checkpoint'],
        )
    out = osp.join(args.work_dir, 'metrics.json')
    with open(out, 'w') as f:
        json.dump(
            dict(
                results=results,
                captioning=captioning,
                total_seconds=round(time.time() - start, 1),
            ),
            f,
            indent=2,
        )
    print('\n' + '=' * 72)
    for name, res in results.items():
        print(
            f'{name}  (trained {res["train_seconds"]} s, '
            f'test split of the synthetic world)'
        )
        print(format_retrieval_table(res['metrics']))
    if captioning:
        print(
            'Captioning, HBI encoder-decoder initialised from the HBI row '
            f'(trained {captioning["train_seconds"]} s, stage '
            f'{captioning["seconds"]} s; 500 test videos x 5 references)'
        )
        print(
            format_caption_table(
                {'HBI encoder-decoder (beam 3)': captioning['metrics']}
                | captioning['baselines']
            )
        )
    print(
        f'chance R@1 = {100 / 500:.2f}%;  metrics written to {out};  '
        f'total {time.time() - start:.0f} s'
    )


if __name__ == '__main__':
    main()
