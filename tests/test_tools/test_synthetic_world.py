"""Tests of tools/data/synthetic/generate_synthetic_world.py: files, formats,
real pixels, language, QA.
"""

import csv
import importlib.util
import json
import re
import time
from pathlib import Path

import av
import decord
import numpy as np
import pytest

from tests.shared_data import MSRVTT as REAL  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'data' / 'synthetic' / 'generate_synthetic_world.py'
SMALL = dict(num_train=20, num_val=5, num_test=10, size=32, fps=8, seed=3)
PALETTE = {'red', 'green', 'blue', 'yellow', 'white', 'purple'}
SHAPES = {'circle', 'square', 'triangle'}
VERB = {
    'appear': 'appears',
    'disappear': 'disappears',
    'grow': 'grows',
    'shrink': 'shrinks',
}
COUNTS = ['zero', 'one', 'two', 'three']
BACKGROUND = (20, 20, 28)


def _load():
    spec = importlib.util.spec_from_file_location(
        'synthetic_world_cli', SCRIPT
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load()


def _verb(ev):
    return (
        f'moves {ev["direction"]}'
        if ev['action'] == 'move'
        else VERB[ev['action']]
    )


def _read_annotations(root):
    return {
        p.name: p.read_bytes()
        for p in sorted((Path(root) / 'annotations').iterdir())
    }


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    start = time.time()
    summary = gen.generate_world(str(root), workers=2, progress=False, **SMALL)
    assert summary['skipped'] is False and summary['num_videos'] == 35
    # a couple of seconds normally; generous for a busy 2-core machine
    assert time.time() - start < 15
    ann = root / 'annotations'
    meta = json.loads((ann / 'world_meta.json').read_text())
    data = json.loads((ann / 'MSRVTT_data.json').read_text())
    caps = {}
    for s in data['sentences']:
        caps.setdefault(s['video_id'], []).append(s['caption'])
    return dict(
        root=root,
        ann=ann,
        meta=meta,
        data=data,
        videos={v['video_id']: v for v in meta['videos']},
        captions=caps,
    )


def test_layout_and_splits(world):
    names = {p.name for p in world['ann'].iterdir()}
    assert names == set(gen.annotation_files())  # and no leftover .tmp file
    assert sorted(
        p.name for p in (world['root'] / 'videos').iterdir()
    ) == sorted(f'video{k}.mp4' for k in range(35))
    splits = [v['split'] for v in world['data']['videos']]
    assert splits == ['train'] * 20 + ['validate'] * 5 + ['test'] * 10
    assert [v['video_id'] for v in world['data']['videos']] == [
        f'video{k}' for k in range(35)
    ]
    assert world['meta']['counts'] == {'train': 20, 'val': 5, 'test': 10}
    assert world['meta']['args'] == SMALL


def test_msrvtt_data_format(world):
    v0 = world['data']['videos'][0]
    assert set(v0) == {
        'video_id',
        'split',
        'start time',
        'end time',
        'id',
        'category',
        'url',
    }
    for k, v in enumerate(world['data']['videos']):
        assert v['id'] == k and v['start time'] == 0.0
        assert v['end time'] == world['videos'][v['video_id']]['duration']
        assert 6 <= v['end time'] <= 10
    sens = world['data']['sentences']
    assert [s['sen_id'] for s in sens] == list(range(len(sens)))
    assert all(
        len(c) == 5 and len(set(c)) == 5 for c in world['captions'].values()
    )


def test_csv_files_parse_like_the_real_ones(world):
    with open(world['ann'] / 'train_list.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [r['video_id'] for r in rows] == [f'video{k}' for k in range(20)]
    with open(world['ann'] / 'val_list.csv', newline='') as f:
        assert [r['video_id'] for r in csv.DictReader(f)] == [
            f'video{k}' for k in range(20, 25)
        ]
    with open(world['ann'] / 'test_list_jsfusion.csv', newline='') as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ['key', 'vid_key', 'video_id', 'sentence']
    with open(REAL / 'MSRVTT_JSFUSION_test.csv', newline='') as f:
        assert csv.DictReader(f).fieldnames == reader.fieldnames
    assert len(rows) == 10
    for i, r in enumerate(rows):
        k = 25 + i
        assert (r['key'], r['vid_key'], r['video_id']) == (
            f'ret{i}',
            f'msr{k}',
            f'video{k}',
        )
        assert r['sentence'] in world['captions'][r['video_id']]


def test_qa_jsonl_and_ans2label(world):
    per_split = {}
    for split in ('train', 'val', 'test'):
        lines = (world['ann'] / f'qa_{split}.jsonl').read_text().splitlines()
        items = [json.loads(line) for line in lines]
        assert items and all(
            list(q) == ['answer', 'question', 'video_id', 'answer_type']
            for q in items
        )
        assert {world['videos'][q['video_id']]['split'] for q in items} == {
            split
        }
        per_split[split] = items
    with open(REAL / 'val.jsonl') as f:
        assert set(json.loads(f.readline())) == set(per_split['val'][0])
    ans2label = json.loads((world['ann'] / 'qa_ans2label.json').read_text())
    train_answers = {q['answer'] for q in per_split['train']}
    assert set(ans2label) == train_answers
    assert sorted(ans2label.values()) == list(range(len(train_answers)))
    assert all(
        len(q['answer'].split()) == 1
        for items in per_split.values()
        for q in items
    )


def _solve(question, v):
    """Answer a question from world_meta's events, independently of the
    generator's QA code.
    """
    ev, objs = v['events'], v['objects']
    phases = ['start', 'end'] if len(ev) == 2 else ['start', 'middle', 'end']
    verbs = '|'.join(
        ['moves left', 'moves right', 'moves up', 'moves down', *VERB.values()]
    )
    if question == 'how many shapes are there?':
        return COUNTS[len(objs)], 'how'
    if m := re.fullmatch(
        f'what colour is the shape that ({verbs})\\?', question
    ):
        hits = [e for e in ev if _verb(e) == m[1]]
        assert len(hits) == 1
        return hits[0]['colour'], 'what'
    if m := re.fullmatch(f'what shape ({verbs})\\?', question):
        hits = [e for e in ev if _verb(e) == m[1]]
        assert len(hits) == 1
        return hits[0]['shape'], 'what'
    if m := re.fullmatch(
        r'what colour is the shape that changes (first|last)\?', question
    ):
        assert len(objs) > 1
        return ev[0 if m[1] == 'first' else -1]['colour'], 'what'
    if m := re.fullmatch(r'what colour is the (\w+)\?', question):
        hits = [o for o in objs if o['shape'] == m[1]]
        assert len(hits) == 1
        return hits[0]['colour'], 'what'
    if m := re.fullmatch(r'which way does the (\w+) (\w+) move\?', question):
        dirs = {
            e['direction']
            for e in ev
            if (e['colour'], e['shape'], e['action']) == (m[1], m[2], 'move')
        }
        assert len(dirs) == 1
        return dirs.pop(), 'which'
    if m := re.fullmatch(r'what does the (\w+) (\w+) do\?', question):
        hits = [e for e in ev if (e['colour'], e['shape']) == (m[1], m[2])]
        assert len(hits) == 1
        return _verb(hits[0]).split()[0], 'what'
    if m := re.fullmatch(r'when does the (\w+) (\w+) (\w+)\?', question):
        hits = [
            k
            for k, e in enumerate(ev)
            if (e['colour'], e['shape'], e['action']) == (m[1], m[2], m[3])
        ]
        assert len(hits) == 1
        return phases[hits[0]], 'when'
    raise AssertionError(f'unexpected question {question!r}')


def test_qa_answers_agree_with_world_meta(world):
    types = set()
    for split in ('train', 'val', 'test'):
        for line in (
            (world['ann'] / f'qa_{split}.jsonl').read_text().splitlines()
        ):
            q = json.loads(line)
            assert _solve(q['question'], world['videos'][q['video_id']]) == (
                q['answer'],
                q['answer_type'],
            ), q
            types.add(q['question'].split(' the ')[0].split()[0])
    assert {'how', 'what', 'which', 'when'} <= types


def test_segments_match_events(world):
    for split in ('train', 'val', 'test'):
        seg = json.loads((world['ann'] / f'segments_{split}.json').read_text())
        assert set(seg) == {
            k for k, v in world['videos'].items() if v['split'] == split
        }
        for vid, s in seg.items():
            v = world['videos'][vid]
            assert (
                s['duration'] == v['duration']
                and 2 <= len(s['timestamps']) <= 3
            )
            assert (
                s['timestamps'][0][0] == 0.0
                and s['timestamps'][-1][1] == v['duration']
            )
            assert all(
                a[1] == b[0] and a[1] - a[0] >= 2
                for a, b in zip(s['timestamps'], s['timestamps'][1:])
            )
            assert s['sentences'] == [
                f'a {e["colour"]} {e["shape"]} {_verb(e)}' for e in v['events']
            ]
            assert s['timestamps'] == [
                [e['start'], e['end']] for e in v['events']
            ]


def test_captions_describe_events_in_order(world):
    for vid, caps in world['captions'].items():
        v = world['videos'][vid]
        # the first caption is the canonical one
        parts = caps[0].split(', then ')
        assert len(parts) == len(v['events'])
        for part, e in zip(parts, v['events']):
            assert re.fullmatch(
                f'(a|the) {e["colour"]} {e["shape"]} {_verb(e)}', part
            ), (part, e)
        colours = {o['colour'] for o in v['objects']}
        needed = {e['colour'] for e in v['events']}
        full = 0
        for c in caps:
            words = set(c.split())
            assert words & PALETTE <= colours and words & SHAPES <= {
                o['shape'] for o in v['objects']
            }, c
            full += needed <= words
        assert full >= 4  # at most one caption describes a single event


def test_attributes_are_shared_between_videos(world):
    events = [e for v in world['meta']['videos'] for e in v['events']]
    assert {e['colour'] for e in events} == PALETTE and {
        e['shape'] for e in events
    } == SHAPES
    assert {e['action'] for e in events} == {
        'move',
        'appear',
        'disappear',
        'grow',
        'shrink',
    }
    assert {len(v['objects']) for v in world['meta']['videos']} == {1, 2, 3}


def _track_at(track, t):
    return {
        k: float(np.interp(t, track['t'], track[k]))
        for k in ('x', 'y', 'radius', 'alpha')
    }


def test_videos_decode_with_pyav_and_decord(world):
    for vid, v in world['videos'].items():
        path = str(world['root'] / 'videos' / f'{vid}.mp4')
        with av.open(path) as container:
            stream = container.streams.video[0]
            assert (
                stream.codec_context.name == 'h264'
                and stream.codec_context.pix_fmt == 'yuv420p'
            )
            n_av = sum(1 for _ in container.decode(video=0))
        vr = decord.VideoReader(path)
        expected = v['duration'] * v['fps']
        assert abs(n_av - expected) <= 1 and abs(len(vr) - expected) <= 1
        assert vr[0].shape == (32, 32, 3) and abs(vr.get_avg_fps() - 8) < 1e-6


def test_decoded_pixels_show_the_shapes_of_world_meta(world):
    palette = world['meta']['vocabulary']['colours']
    checked = 0
    for vid, v in world['videos'].items():
        frames = (
            decord.VideoReader(str(world['root'] / 'videos' / f'{vid}.mp4'))
            .get_batch(list(range(v['num_frames'])))
            .asnumpy()
            .astype(float)
        )
        for i, frame in enumerate(frames):
            for o in v['objects']:
                s = _track_at(o['track'], i / v['fps'])
                if s['alpha'] == 1 and s['radius'] >= 4:
                    r, c = int(s['y']), int(s['x'])
                    patch = (
                        frame[r - 1 : r + 2, c - 1 : c + 2]
                        .reshape(-1, 3)
                        .mean(0)
                    )
                    assert np.abs(patch - palette[o['colour']]).max() < 40, (
                        vid,
                        i,
                        o['colour'],
                        patch,
                    )
                    checked += 1
        # a corner far from every shape is background
        far = [
            (y, x)
            for y in (1, 30)
            for x in (1, 30)
            if all(
                np.hypot(
                    _track_at(o['track'], 0)['x'] - x,
                    _track_at(o['track'], 0)['y'] - y,
                )
                > 12
                for o in v['objects']
            )
        ]
        for y, x in far:
            assert frames[0, y, x].max() < 50
    assert checked > 1000


def _nearest(frame, palette):
    """Name of the nearest palette colour (or 'background') of every pixel."""
    names = ['background', *palette]
    refs = np.array([BACKGROUND, *palette.values()], float)
    return np.array(names)[
        np.linalg.norm(frame[:, :, None] - refs, axis=-1).argmin(-1)
    ]


def test_decoded_pixels_show_the_events(world):
    """Each event is visible: centroid shift for moves, pixel area change for
    the others.
    """
    palette = world['meta']['vocabulary']['colours']
    for vid, v in world['videos'].items():
        frames = (
            decord.VideoReader(str(world['root'] / 'videos' / f'{vid}.mp4'))
            .get_batch(list(range(v['num_frames'])))
            .asnumpy()
            .astype(float)
        )
        for e in v['events']:
            first, last = (
                int(e['start'] * v['fps']),
                int(e['end'] * v['fps']) - 1,
            )
            masks = [
                _nearest(frames[i], palette) == e['colour']
                for i in (first, last)
            ]
            area = [int(m.sum()) for m in masks]
            if e['action'] == 'move':
                (y0, x0), (y1, x1) = (np.argwhere(m).mean(0) for m in masks)
                dx, dy = {
                    'left': (-1, 0),
                    'right': (1, 0),
                    'up': (0, -1),
                    'down': (0, 1),
                }[e['direction']]
                assert (x1 - x0) * dx + (y1 - y0) * dy > 5 and abs(
                    (x1 - x0) * dy
                ) + abs((y1 - y0) * dx) < 2
            elif e['action'] == 'appear':
                assert area[1] > 5 and area[0] < 0.2 * area[1], (vid, e, area)
            elif e['action'] == 'disappear':
                assert area[0] > 5 and area[1] < 0.2 * area[0], (vid, e, area)
            elif e['action'] == 'grow':
                assert area[1] > 1.5 * area[0], (vid, e, area)
            else:
                assert area[1] < 0.7 * area[0], (vid, e, area)


def test_same_seed_same_world_and_worker_count_does_not_matter(
    world, tmp_path
):
    gen.generate_world(str(tmp_path), workers=1, progress=False, **SMALL)
    assert _read_annotations(tmp_path) == _read_annotations(world['root'])
    # x264 runs on one thread per video and is usually bit-exact, but inside
    # the full test suite the encoded bytes were seen to differ; what must
    # hold is that the decoded videos show the same world.
    import av
    import numpy as np

    def frames(path):
        with av.open(str(path)) as c:
            return np.stack(
                [f.to_ndarray(format='rgb24') for f in c.decode(video=0)]
            ).astype(np.int16)

    for k in range(0, 35, 5):
        a = frames(tmp_path / 'videos' / f'video{k}.mp4')
        b = frames(world['root'] / 'videos' / f'video{k}.mp4')
        assert a.shape == b.shape
        assert np.abs(a - b).mean() < 2.0


def test_different_seed_different_world(world, tmp_path):
    gen.generate_world(
        str(tmp_path), workers=1, progress=False, **dict(SMALL, seed=4)
    )
    a = json.loads((tmp_path / 'annotations' / 'MSRVTT_data.json').read_text())
    assert a['sentences'] != world['data']['sentences']


def test_idempotent_force_and_incomplete(tmp_path, capsys):
    args = dict(num_train=3, num_val=1, num_test=1, workers=1, progress=False)
    assert gen.generate_world(str(tmp_path), **args)['skipped'] is False
    video = tmp_path / 'videos' / 'video0.mp4'
    stamp = video.stat().st_mtime_ns
    start = time.time()
    assert gen.generate_world(str(tmp_path), **args)['skipped'] is True
    assert time.time() - start < 1 and video.stat().st_mtime_ns == stamp
    assert 'nothing to do' in capsys.readouterr().out
    before = _read_annotations(tmp_path)
    assert (
        gen.generate_world(str(tmp_path), force=True, **args)['skipped']
        is False
    )
    assert _read_annotations(tmp_path) == before
    # an interrupted run leaves the world incomplete: it is regenerated
    video.unlink()
    assert (
        gen.generate_world(str(tmp_path), **args)['skipped'] is False
        and video.exists()
    )
    # other arguments: regenerated, and videos beyond the new count are removed
    assert (
        gen.generate_world(str(tmp_path), **dict(args, num_test=0))['skipped']
        is False
    )
    assert not (tmp_path / 'videos' / 'video4.mp4').exists()
    with open(
        tmp_path / 'annotations' / 'test_list_jsfusion.csv', newline=''
    ) as f:
        assert list(csv.DictReader(f)) == []


def test_cli_and_size_64(tmp_path):
    gen.main(
        [
            '--out',
            str(tmp_path),
            '--num-train',
            '1',
            '--num-val',
            '1',
            '--num-test',
            '1',
            '--size',
            '64',
            '--fps',
            '4',
            '--seed',
            '7',
            '--workers',
            '1',
            '--no-progress',
        ]
    )
    meta = json.loads(
        (tmp_path / 'annotations' / 'world_meta.json').read_text()
    )
    assert meta['args'] == dict(
        num_train=1, num_val=1, num_test=1, size=64, fps=4, seed=7
    )
    vr = decord.VideoReader(str(tmp_path / 'videos' / 'video2.mp4'))
    assert (
        vr[0].shape == (64, 64, 3)
        and len(vr) == meta['videos'][2]['duration'] * 4
    )


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(size=31), 'size'),
        (dict(size=16), 'size'),
        (dict(num_train=0), 'num_train'),
        (dict(fps=0), 'fps'),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        gen.generate_world(str(tmp_path), **kwargs)
    assert not (tmp_path / 'videos').exists()
