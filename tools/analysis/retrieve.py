"""Index a video gallery once, then search it with text (two-stage).

    # index a folder (resumable: run it again after an interruption)
    python tools/analysis/retrieve.py index CONFIG CKPT INDEX_DIR --videos DIR
    # or the videos of the config's test split
    python tools/analysis/retrieve.py index CONFIG CKPT INDEX_DIR --split test
    # leave out (and report) videos that cannot be decoded
    python tools/analysis/retrieve.py index ... --videos DIR --skip-invalid
    # top-k videos of text queries
    python tools/analysis/retrieve.py search CONFIG CKPT INDEX_DIR \
        -q "a red circle moves left" --k 5 --depth 100
    # recall@k of two-stage vs exhaustive search on the test captions
    python tools/analysis/retrieve.py recall CONFIG CKPT INDEX_DIR \
        --depths 1 2 4 8

The first stage uses faiss when installed (``pip install faiss-cpu``), an
exact torch matmul otherwise; the log says which. Nothing is written into
the video folder: a config's ``FrameCache`` keeps decoded frames under
``$HBI_FRAME_CACHE_DIR`` (default ``~/.cache/hbi/frame_cache``).
"""

import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

import numpy as np  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402

from hbi.apis import (
    VideoSearchIndex,
    compare_two_stage,  # noqa: E402
    format_two_stage_table,
)
from hbi.registry import DATASETS  # noqa: E402
from hbi.utils import ConfigOptionsAction, load_config  # noqa: E402


def _count(minimum: int):
    """An argparse type: an integer >= minimum."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f'expected an integer >= {minimum}, got {text!r}'
            )
        return value

    return parse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('command', choices=['index', 'search', 'recall'])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('index_dir')
    parser.add_argument('--videos', help='index: folder of videos')
    parser.add_argument('--ext', default='.mp4', help='index: file extension')
    parser.add_argument(
        '--split',
        choices=['test'],
        help="index: the config's test-split videos",
    )
    parser.add_argument(
        '-q',
        '--query',
        action='append',
        default=[],
        help='search: a text query (repeatable)',
    )
    parser.add_argument(
        '--k', type=_count(1), default=10, help='search: results (>= 1)'
    )
    parser.add_argument(
        '--depth',
        type=_count(0),
        default=100,
        help='search: re-rank depth (0 = exhaustive)',
    )
    parser.add_argument(
        '--depths',
        type=_count(1),
        nargs='+',
        default=[1, 2, 4, 8],
        help='recall: re-rank depths',
    )
    parser.add_argument(
        '--ks',
        type=_count(1),
        nargs='+',
        default=[1, 5, 10],
        help='recall: cut-offs',
    )
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='index: leave out (and report) videos that cannot be decoded '
        'instead of stopping at the first',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=ConfigOptionsAction,
        help='override config keys, e.g. data_root=DIR',
    )
    parser.add_argument(
        '--first-stage', default='auto', choices=['auto', 'faiss', 'torch']
    )
    parser.add_argument('--batch-size', type=_count(1))
    parser.add_argument('--num-workers', type=_count(0), default=0)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def _test_dataset(cfg):
    return DATASETS.build(cfg.test_dataloader.dataset)


def main(argv=None):
    args = parse_args(argv)
    if not MMLogger.check_instance_created('hbi_retrieve'):
        MMLogger.get_instance('hbi_retrieve', log_level='INFO')
    cfg = load_config(args.config, args.cfg_options)
    kwargs = dict(first_stage=args.first_stage, num_workers=args.num_workers)
    if args.batch_size:
        kwargs['batch_size'] = args.batch_size
    index = VideoSearchIndex.from_config(
        cfg, args.checkpoint, args.index_dir, args.device, **kwargs
    )
    if args.command == 'index':
        if bool(args.videos) == bool(args.split):
            raise SystemExit('index: give either --videos DIR or --split test')
        skip = dict(skip_invalid=args.skip_invalid)
        if args.videos:
            out = index.index_folder(args.videos, args.ext, **skip)
        else:
            videos = _test_dataset(cfg).videos
            out = index.index_videos(
                [v['video_path'] for v in videos],
                [v['video_id'] for v in videos],
                **skip,
            )
        print(
            f'indexed {out["indexed"]} videos, {out["skipped"]} were '
            f'already in {args.index_dir}, {out["invalid"]} cannot be '
            f'decoded and were left out ({len(index)} in all)'
        )
        return out
    if args.command == 'search':
        if not args.query:
            raise SystemExit('search: give at least one --query')
        hits = index.search(args.query, args.k, args.depth or None)
        for query, row in zip(args.query, hits):
            print(f'query: {query}')
            for rank, hit in enumerate(row, 1):
                print(f'  {rank:3d}. {hit.video_id}  {hit.score:.4f}')
        return hits
    dataset = _test_dataset(cfg)
    position = {v: i for i, v in enumerate(index.video_ids)}
    missing = [
        v['video_id'] for v in dataset.videos if v['video_id'] not in position
    ]
    if missing:
        raise SystemExit(
            f'recall: {len(missing)} test videos are not in the '
            f'index, e.g. {missing[:5]}; run `index ... --split '
            'test` first'
        )
    gt = np.asarray(
        [
            position[dataset.videos[t['video_index']]['video_id']]
            for t in dataset.texts
        ]
    )
    text = index.encode_queries([t['caption'] for t in dataset.texts])
    rows = compare_two_stage(index, text, args.depths, args.ks, gt)
    print(
        f'{len(gt)} test captions, gallery of {len(index)} videos; '
        'vs-exh@k = % of the exhaustive top-k found by two-stage search '
        f'(first stage: {index._search.backend if index._search else "-"})'
    )
    print(format_two_stage_table(rows))
    return rows


if __name__ == '__main__':
    main()
