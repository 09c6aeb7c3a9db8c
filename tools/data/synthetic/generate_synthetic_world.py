"""Generate the built-in synthetic video world (real H.264 mp4 + MSR-VTT /
MSRVTT-QA / ActivityNet files).

Example::

    python tools/data/synthetic/generate_synthetic_world.py --out
    data/synthetic --seed 0

Layout under ``--out``: ``videos/video{k}.mp4`` (train ids first, then val,
then test) and ``annotations/`` with ``MSRVTT_data.json``, ``train_list.csv``,
``val_list.csv``, ``test_list_jsfusion.csv``, ``qa_{train,val,test}.jsonl``,
``qa_ans2label.json``, ``segments_{train,val,test}.json``,
``caption_words.json`` (the true part-of-speech tag of every word of every
caption and segment sentence) and ``world_meta.json``. ``world_meta.json``
is written last and doubles as the completion marker: a run whose arguments
match it (and whose files all exist) does nothing.
"""

import argparse
import csv
import importlib.util
import io
import json
import multiprocessing
import os
import os.path as osp
import re
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

from tqdm import tqdm


def _load_logic() -> Any:
    """Import ``synthetic_world.py`` beside this file under a unique module
    name.

    ``tools/`` is not a package; registering the module in ``sys.modules`` lets
    the worker pool pickle its functions by reference, whatever name this file
    itself was loaded under.
    """
    name = 'hbi_tools_synthetic_world'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name,
            osp.join(osp.dirname(osp.abspath(__file__)), 'synthetic_world.py'),
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


sw = _load_logic()

VERSION = 1
SPLITS = ('train', 'val', 'test')
# MSR-VTT's own split names
MSRVTT_SPLIT = {'train': 'train', 'val': 'validate', 'test': 'test'}
META = 'world_meta.json'
#: The true part-of-speech tags of every caption and segment sentence.
CAPTION_WORDS = 'caption_words.json'


def annotation_files() -> List[str]:
    """Annotation file names (under ``annotations/``); ``world_meta.json``
    last.
    """
    return (
        [
            'MSRVTT_data.json',
            'train_list.csv',
            'val_list.csv',
            'test_list_jsfusion.csv',
            'qa_ans2label.json',
        ]
        + [f'qa_{s}.jsonl' for s in SPLITS]
        + [f'segments_{s}.json' for s in SPLITS]
        + [CAPTION_WORDS, META]
    )


def _write(path: str, text: str) -> None:
    """Write via a temporary file and an atomic rename, so a file either is
    complete or is absent.
    """
    with open(path + '.tmp', 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def _is_complete(out_dir: str, args: Dict[str, Any]) -> bool:
    ann = osp.join(out_dir, 'annotations')
    try:
        with open(osp.join(ann, META), encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    if meta.get('args') != args or meta.get('version') != VERSION:
        return False
    total = args['num_train'] + args['num_val'] + args['num_test']
    videos = [
        osp.join(out_dir, 'videos', f'video{k}.mp4') for k in range(total)
    ]
    return all(
        osp.isfile(osp.join(ann, n)) for n in annotation_files()
    ) and all(osp.isfile(v) and osp.getsize(v) > 0 for v in videos)


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator='\n').writerows(rows)
    return buf.getvalue()


def write_annotations(
    out_dir: str, records: List[Dict[str, Any]], args: Dict[str, Any]
) -> None:
    """Write every annotation file from the per-video records (in video-id
    order), ``world_meta`` last.

    Args:
        out_dir: Root of the world.
        records: Output of ``make_video`` for each video, plus ``video_id`` and
        ``split``. args: Generator arguments recorded in ``world_meta.json``.
    """
    ann = osp.join(out_dir, 'annotations')
    by_split = {s: [r for r in records if r['split'] == s] for s in SPLITS}
    videos, sentences = [], []
    for r in records:
        videos.append(
            {
                'category': 0,
                'url': '',
                'video_id': r['video_id'],
                'start time': 0.0,
                'end time': r['duration'],
                'split': MSRVTT_SPLIT[r['split']],
                'id': r['index'],
            }
        )
        sentences += [
            {
                'caption': c,
                'video_id': r['video_id'],
                'sen_id': len(sentences) + i,
            }
            for i, c in enumerate(r['captions'])
        ]
    _write(
        osp.join(ann, 'MSRVTT_data.json'),
        json.dumps({'videos': videos, 'sentences': sentences}),
    )
    for split in ('train', 'val'):
        _write(
            osp.join(ann, f'{split}_list.csv'),
            _csv([['video_id']] + [[r['video_id']] for r in by_split[split]]),
        )
    _write(
        osp.join(ann, 'test_list_jsfusion.csv'),
        _csv(
            [['key', 'vid_key', 'video_id', 'sentence']]
            + [
                [
                    f'ret{i}',
                    f'msr{r["index"]}',
                    r['video_id'],
                    r['captions'][r['test_caption']],
                ]
                for i, r in enumerate(by_split['test'])
            ]
        ),
    )
    for split in SPLITS:
        _write(
            osp.join(ann, f'qa_{split}.jsonl'),
            ''.join(
                json.dumps(
                    {
                        'answer': q['answer'],
                        'question': q['question'],
                        'video_id': r['video_id'],
                        'answer_type': q['answer_type'],
                    }
                )
                + '\n'
                for r in by_split[split]
                for q in r['qa']
            ),
        )
        _write(
            osp.join(ann, f'segments_{split}.json'),
            json.dumps(
                {
                    r['video_id']: {
                        'duration': r['duration'],
                        'timestamps': [
                            [e['start'], e['end']] for e in r['events']
                        ],
                        'sentences': [e['sentence'] for e in r['events']],
                    }
                    for r in by_split[split]
                }
            ),
        )
    texts = [c for r in records for c in r['captions']] + [
        e['sentence'] for r in records for e in r['events']
    ]
    _write(
        osp.join(ann, CAPTION_WORDS),
        json.dumps(
            {
                text: [list(pair) for pair in sw.caption_words(text)]
                for text in dict.fromkeys(texts)
            }
        ),
    )
    answers = sorted({q['answer'] for r in by_split['train'] for q in r['qa']})
    _write(
        osp.join(ann, 'qa_ans2label.json'),
        json.dumps({a: i for i, a in enumerate(answers)}),
    )
    keep = (
        'video_id',
        'split',
        'duration',
        'fps',
        'num_frames',
        'objects',
        'events',
    )
    meta = {
        'generator': 'hbi synthetic world',
        'version': VERSION,
        'args': args,
        'counts': {s: len(by_split[s]) for s in SPLITS},
        'vocabulary': {
            'colours': {k: list(v) for k, v in sw.COLOURS.items()},
            'shapes': list(sw.SHAPES),
            'actions': list(sw.ACTIONS),
            'directions': list(sw.DIRECTIONS),
            'answers': sorted({q['answer'] for r in records for q in r['qa']}),
        },
        'track_units': 'pixels; t in seconds; the renderer interpolates '
        'linearly between keys',
        'videos': [{k: r[k] for k in keep} for r in records],
    }
    _write(osp.join(ann, META), json.dumps(meta))


def _check(name: str, value: int, low: int) -> None:
    if not isinstance(value, int) or value < low:
        raise ValueError(
            f'generate_world: argument {name} must be an integer >= {low}, '
            f'got {value!r}'
        )


def generate_world(
    out_dir: str,
    num_train: int = 2000,
    num_val: int = 200,
    num_test: int = 500,
    size: int = 32,
    fps: int = 8,
    seed: int = 0,
    workers: Optional[int] = None,
    force: bool = False,
    progress: bool = True,
) -> Dict[str, Any]:
    """Generate (or find complete) the synthetic world under ``out_dir``.

    Args:
        out_dir: Output root (``videos/`` and ``annotations/`` are created
        inside). num_train: Number of train videos (ids ``video0`` ...).
        num_val: Number of val videos (following the train ids). num_test:
        Number of test videos (last ids). size: Frame width and height in
        pixels (even, >= 32; shapes scale with it). fps: Frames per second of
        the mp4 files. seed: Seed; same seed and arguments give identical
        annotations (and, with x264 on one thread,
            identical video bytes).
        workers: Worker processes (default ``os.cpu_count()``).
        force: Regenerate even when the world is complete already.
        progress: Show a tqdm progress bar.

    Returns:
        dict: ``out_dir``, ``skipped`` (True if nothing had to be done),
        ``counts``, ``seconds``, ``num_videos``.
    """
    for name, value, low in (
        ('num_train', num_train, 1),
        ('num_val', num_val, 0),
        ('num_test', num_test, 0),
        ('size', size, 32),
        ('fps', fps, 1),
        ('seed', seed, 0),
    ):
        _check(name, value, low)
    if size % 2:
        raise ValueError(
            f'generate_world: argument size must be even (yuv420p), got {size}'
        )
    args = dict(
        num_train=num_train,
        num_val=num_val,
        num_test=num_test,
        size=size,
        fps=fps,
        seed=seed,
    )
    counts = dict(train=num_train, val=num_val, test=num_test)
    total = num_train + num_val + num_test
    start = time.time()
    if not force and _is_complete(out_dir, args):
        print(
            f'Synthetic world in {out_dir} is complete and matches the '
            'arguments: nothing to do '
            f'(use --force to regenerate).'
        )
        return dict(
            out_dir=out_dir,
            skipped=True,
            counts=counts,
            num_videos=total,
            seconds=time.time() - start,
        )
    vid_dir, ann_dir = (
        osp.join(out_dir, 'videos'),
        osp.join(out_dir, 'annotations'),
    )
    os.makedirs(vid_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    if osp.exists(osp.join(ann_dir, META)):
        # the world is incomplete from here until the new meta is written
        os.remove(osp.join(ann_dir, META))
    # leftovers of an interrupted run or of a larger earlier world
    for name in os.listdir(vid_dir):
        m = re.fullmatch(r'video(\d+)\.mp4(\.tmp)?', name)
        if m and (m.group(2) or int(m.group(1)) >= total):
            os.remove(osp.join(vid_dir, name))
    splits = ['train'] * num_train + ['val'] * num_val + ['test'] * num_test
    jobs = [
        (seed, k, size, fps, osp.join(vid_dir, f'video{k}.mp4'))
        for k in range(total)
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, total))
    bar = dict(
        total=total, desc='synthetic world', unit='video', disable=not progress
    )
    if workers == 1:
        records = [sw.make_video(j) for j in tqdm(jobs, **bar)]
    else:
        ctx = multiprocessing.get_context(
            'fork'
            if 'fork' in multiprocessing.get_all_start_methods()
            else None
        )
        with ctx.Pool(workers) as pool:
            records = list(
                tqdm(
                    pool.imap(
                        sw.make_video,
                        jobs,
                        chunksize=max(1, total // (workers * 16)),
                    ),
                    **bar,
                )
            )
    for k, (r, split) in enumerate(zip(records, splits)):
        r.update(index=k, video_id=f'video{k}', split=split)
    write_annotations(out_dir, records, args)
    seconds = time.time() - start
    print(
        f'Synthetic world written to {out_dir}: {total} videos ({counts}) in '
        f'{seconds:.1f} s.'
    )
    return dict(
        out_dir=out_dir,
        skipped=False,
        counts=counts,
        num_videos=total,
        seconds=seconds,
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate the synthetic video world of hbi.'
    )
    parser.add_argument('--out', default='data/synthetic', help='output root')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=200)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='frame width = height in pixels (even, >= 32)',
    )
    parser.add_argument('--fps', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--workers',
        type=int,
        default=None,
        help='processes (default: os.cpu_count())',
    )
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even if the world is complete',
    )
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar'
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    a = parse_args(argv)
    generate_world(
        a.out,
        a.num_train,
        a.num_val,
        a.num_test,
        a.size,
        a.fps,
        a.seed,
        a.workers,
        a.force,
        progress=not a.no_progress,
    )


if __name__ == '__main__':
    main()
