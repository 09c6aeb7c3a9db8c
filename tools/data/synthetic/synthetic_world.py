"""Logic of the synthetic video world: planning, language, rendering, encoding.

Every video is planned from its own random stream ``default_rng([seed,
index])``, so annotations do not depend on the number of worker processes.
Geometry is planned in unit coordinates (frame = [0, 1]^2) and stored as
per-object key-frame tracks in pixels; the renderer interpolates exactly those
tracks, so ``world_meta.json`` says where every shape is at every frame.

We write our own renderer (numpy masks) because no library draws these
primitives without an extra dependency, and encode through PyAV (libx264,
yuv420p) so the files are real H.264 mp4 like the real data.
"""

import math
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import av
import numpy as np

COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (220, 40, 40),
    'green': (40, 190, 60),
    'blue': (50, 90, 235),
    'yellow': (235, 215, 40),
    'white': (235, 235, 235),
    'purple': (160, 60, 210),
}
SHAPES: Tuple[str, ...] = ('circle', 'square', 'triangle')
ACTIONS: Tuple[str, ...] = ('move', 'appear', 'disappear', 'grow', 'shrink')
DIRECTIONS: Dict[str, Tuple[int, int]] = {
    'left': (-1, 0),
    'right': (1, 0),
    'up': (0, -1),
    'down': (0, 1),
}
COUNT_WORDS: Tuple[str, ...] = ('zero', 'one', 'two', 'three')
PHASES: Dict[int, Tuple[str, ...]] = {
    2: ('start', 'end'),
    3: ('start', 'middle', 'end'),
}
BACKGROUND = (20, 20, 28)
BASE_RADIUS = 0.15  # unit coordinates: 4.8 px at 32 px
SCALES = (0.7, 1.0, 1.5)  # size levels: small / normal / big
MOVE_DIST = 0.28
GAP = 0.03  # min free space between two shapes' bounding circles
# bounding-circle radius / radius
EXTENT = {'circle': 1.0, 'square': 1.2, 'triangle': 1.45}
ACTION_WEIGHT = {
    'move': 2.0,
    'appear': 1.0,
    'disappear': 1.0,
    'grow': 1.0,
    'shrink': 1.0,
}
VERBS: Dict[str, Tuple[str, ...]] = {
    'left': ('moves left', 'moves to the left', 'slides left', 'goes left'),
    'right': (
        'moves right',
        'moves to the right',
        'slides right',
        'goes right',
    ),
    'up': ('moves up', 'moves upward', 'slides up', 'goes up'),
    'down': ('moves down', 'moves downward', 'slides down', 'goes down'),
    'appear': ('appears', 'shows up', 'comes into view', 'pops up'),
    'disappear': ('disappears', 'vanishes', 'fades away', 'goes away'),
    'grow': ('grows', 'gets bigger', 'becomes larger', 'expands'),
    'shrink': ('shrinks', 'gets smaller', 'becomes smaller', 'contracts'),
}
QA_ACTION = {
    'appear': 'appears',
    'disappear': 'disappears',
    'grow': 'grows',
    'shrink': 'shrinks',
    'move': 'moves',
}


def _event_key(ev: Dict[str, Any]) -> str:
    """Verb key of an event: the direction for moves, else the action."""
    return ev['direction'] if ev['action'] == 'move' else ev['action']


def _bound(obj: Dict[str, Any], level: Optional[int] = None) -> float:
    return (
        BASE_RADIUS
        * SCALES[obj['level'] if level is None else level]
        * EXTENT[obj['shape']]
    )


def _inside(x: float, y: float, b: float) -> bool:
    return b + 0.01 <= x <= 0.99 - b and b + 0.01 <= y <= 0.99 - b


def _clear(
    objs: List[Dict[str, Any]],
    i: int,
    p0: Tuple[float, float],
    p1: Tuple[float, float],
    b: float,
) -> bool:
    """Whether object ``i`` (bounding radius ``b``) travelling p0 -> p1 keeps
    clear of visible others.
    """
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    # plain floats: this runs thousands of times per video
    for j, o in enumerate(objs):
        if j == i or not o['visible']:
            continue
        u = min(
            max(
                ((o['x'] - p0[0]) * dx + (o['y'] - p0[1]) * dy)
                / max(dx * dx + dy * dy, 1e-9),
                0.0,
            ),
            1.0,
        )
        if (
            math.hypot(o['x'] - p0[0] - u * dx, o['y'] - p0[1] - u * dy)
            < b + _bound(o) + GAP
        ):
            return False
    return True


def _candidates(
    objs: List[Dict[str, Any]],
) -> List[Tuple[int, str, Optional[str]]]:
    """All events (object, action, direction) that are possible from the
    current state.
    """
    out: List[Tuple[int, str, Optional[str]]] = []
    for i, o in enumerate(objs):
        p = (o['x'], o['y'])
        if not o['visible']:
            if _clear(objs, i, p, p, _bound(o)):
                out.append((i, 'appear', None))
            continue
        out.append((i, 'disappear', None))
        for action, step in (('grow', 1), ('shrink', -1)):
            lv = o['level'] + step
            if (
                0 <= lv < len(SCALES)
                and _inside(*p, _bound(o, lv))
                and _clear(objs, i, p, p, _bound(o, lv))
            ):
                out.append((i, action, None))
        for name, (dx, dy) in DIRECTIONS.items():
            q = (o['x'] + dx * MOVE_DIST, o['y'] + dy * MOVE_DIST)
            if _inside(*q, _bound(o)) and _clear(objs, i, p, q, _bound(o)):
                out.append((i, 'move', name))
    return out


def _try_plan(
    rng: np.random.Generator,
) -> Optional[Tuple[List[Dict[str, Any]], List[Dict[str, Any]], int]]:
    n_obj, n_seg = (
        int(rng.choice([1, 2, 3], p=[0.25, 0.4, 0.35])),
        int(rng.integers(2, 4)),
    )
    duration = int(rng.integers(max(6, 2 * n_seg), 11))
    lengths = 2 + rng.multinomial(duration - 2 * n_seg, [1.0 / n_seg] * n_seg)
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(float)
    objs: List[Dict[str, Any]] = []
    for c in rng.choice(len(COLOURS), n_obj, replace=False):
        o = dict(
            colour=list(COLOURS)[int(c)],
            shape=SHAPES[int(rng.integers(len(SHAPES)))],
            level=int(rng.choice(3, p=[0.25, 0.6, 0.15])),
            visible=bool(rng.random() < 0.75),
        )
        b = _bound(o)
        # initial positions: all shapes apart
        for x, y in rng.uniform(b + 0.01, 0.99 - b, (30, 2)).tolist():
            o['x'], o['y'] = x, y
            if _clear(
                objs + [dict(o, visible=False)],
                len(objs),
                (o['x'], o['y']),
                (o['x'], o['y']),
                _bound(o),
            ):
                break
        else:
            return None
        objs.append(o)
    for o in objs:
        o['keys'] = [(0.0, o['x'], o['y'], o['level'], float(o['visible']))]
    events: List[Dict[str, Any]] = []
    for s in range(n_seg):
        cands = _candidates(objs)
        waiting = [
            i
            for i, o in enumerate(objs)
            if not o['visible'] and len(o['keys']) == 1
        ]
        # shapes hidden from the start must appear in the remaining segments
        if len(waiting) >= n_seg - s:
            cands = [c for c in cands if c[0] in waiting]
        if not cands:
            return None
        kinds = sorted({c[1] for c in cands}, key=ACTIONS.index)
        w = np.array([ACTION_WEIGHT[k] for k in kinds])
        kind = kinds[int(rng.choice(len(kinds), p=w / w.sum()))]
        pool = [c for c in cands if c[1] == kind]
        i, action, direction = pool[int(rng.integers(len(pool)))]
        t0, t1 = float(bounds[s]), float(bounds[s + 1])
        o = objs[i]
        o['keys'].append((t0, o['x'], o['y'], o['level'], float(o['visible'])))
        if action == 'move':
            o['x'] += DIRECTIONS[direction][0] * MOVE_DIST
            o['y'] += DIRECTIONS[direction][1] * MOVE_DIST
        elif action in ('grow', 'shrink'):
            o['level'] += 1 if action == 'grow' else -1
        # appear / disappear: the fade takes the middle half of the segment
        else:
            a0 = float(action == 'disappear')
            for t, a in (
                (t0 + 0.25 * (t1 - t0), a0),
                (t0 + 0.75 * (t1 - t0), 1.0 - a0),
            ):
                o['keys'].append((t, o['x'], o['y'], o['level'], a))
            o['visible'] = action == 'appear'
        o['keys'].append((t1, o['x'], o['y'], o['level'], float(o['visible'])))
        events.append(
            dict(
                object=i, action=action, direction=direction, start=t0, end=t1
            )
        )
    if any(
        o['keys'][0][4] == 0 and all(e['object'] != i for e in events)
        for i, o in enumerate(objs)
    ):
        # a shape hidden from the start that never appears would be invisible:
        # replan
        return None
    for o in objs:
        o['keys'].append(
            (float(duration), o['x'], o['y'], o['level'], float(o['visible']))
        )
    return objs, events, duration


def plan_video(seed: int, index: int, size: int, fps: int) -> Dict[str, Any]:
    """Plan one video (objects, key-frame tracks in pixels, events) from
    ``default_rng([seed, index])``.
    """
    rng = np.random.default_rng([seed, index])
    for _ in range(200):
        plan = _try_plan(rng)
        if plan is not None:
            break
    # pragma: no cover - the constraints are loose enough that this never
    # happens in practice
    else:
        raise RuntimeError(f'could not plan video {index} with seed {seed}')
    objs, events, duration = plan
    objects = []
    for o in objs:
        # one key per time, last wins
        keys = sorted(dict((k[0], k) for k in o['keys']).values())
        track = {
            't': [k[0] for k in keys],
            'x': [round(k[1] * size, 3) for k in keys],
            'y': [round(k[2] * size, 3) for k in keys],
            'radius': [
                round(BASE_RADIUS * SCALES[k[3]] * size, 3) for k in keys
            ],
            'alpha': [k[4] for k in keys],
        }
        objects.append(
            {'colour': o['colour'], 'shape': o['shape'], 'track': track}
        )
    for e in events:
        e.update(
            colour=objs[e['object']]['colour'],
            shape=objs[e['object']]['shape'],
        )
    return {
        'duration': float(duration),
        'fps': fps,
        'num_frames': duration * fps,
        'size': size,
        'objects': objects,
        'events': events,
        'rng': rng,
    }


# -----------------------------------------------------------------------------
# language
def _name(ev: Dict[str, Any]) -> str:
    return f'{ev["colour"]} {ev["shape"]}'


def _clauses(
    events: Sequence[Dict[str, Any]],
    order: Sequence[int],
    rng: Optional[np.random.Generator],
    pronoun: bool,
) -> List[str]:
    """One clause per event, in sentence order; ``rng=None`` gives the
    canonical wording.
    """
    seen, out, prev = set(), [], None
    for k in order:
        ev = events[k]
        if (
            pronoun
            and prev == ev['object']
            and rng is not None
            and rng.random() < 0.6
        ):
            subject = 'it'
        else:
            subject = ('the ' if ev['object'] in seen else 'a ') + _name(ev)
        verbs = VERBS[_event_key(ev)]
        verb = (
            verbs[0] if rng is None else verbs[int(rng.integers(len(verbs)))]
        )
        out.append(f'{subject} {verb}')
        seen.add(ev['object'])
        prev = ev['object']
    return out


def segment_sentence(ev: Dict[str, Any]) -> str:
    """Canonical sentence of one segment, e.g. ``'a red circle moves "
    "left'``."""
    return _clauses([ev], [0], None, False)[0]


#: Universal part-of-speech tag of every word the captions and segment
#: sentences use (the grammar's own knowledge). ``left``/``right`` are
#: adverbs ("moves left") except after ``the`` ("moves to the left"), where
#: they are nouns; :func:`caption_words` applies that rule.
WORD_POS: Dict[str, str] = {
    **{c: 'ADJ' for c in COLOURS},
    **{s: 'NOUN' for s in SHAPES},
    **dict.fromkeys(('a', 'the'), 'DET'),
    'it': 'PRON',
    **dict.fromkeys(
        (
            'moves slides goes appears shows comes pops disappears vanishes '
            'fades grows gets becomes expands shrinks contracts stays'
        ).split(),
        'VERB',
    ),
    **dict.fromkeys(
        'left right up down upward downward away still'.split(), 'ADV'
    ),
    **dict.fromkeys('to into at in before'.split(), 'ADP'),
    **dict.fromkeys('after while'.split(), 'SCONJ'),
    **dict.fromkeys('view start middle end'.split(), 'NOUN'),
    **dict.fromkeys('bigger larger smaller'.split(), 'ADJ'),
    **dict.fromkeys('first then finally'.split(), 'ADV'),
    'and': 'CCONJ',
    ',': 'PUNCT',
}
#: Words whose tag depends on context: after ``the`` they are nouns.
_NOUN_AFTER_THE = ('left', 'right')
#: Particles of phrasal verbs ("shows up", "pops up").
_PARTICLE_AFTER = {'up': ('shows', 'pops')}


def caption_words(caption: str) -> List[Tuple[str, str]]:
    """The words of a caption or segment sentence with their true universal
    part-of-speech tags, in order (commas are words of their own).

    Raises:
        KeyError: A word the grammar does not know (a generator bug).
    """
    words = caption.replace(',', ' ,').split()
    tags = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ''
        if word in _NOUN_AFTER_THE and previous == 'the':
            tags.append('NOUN')
        elif previous in _PARTICLE_AFTER.get(word, ()):
            tags.append('ADP')
        else:
            tags.append(WORD_POS[word])
    return list(zip(words, tags))


def make_captions(
    plan: Dict[str, Any], rng: np.random.Generator, num: int = 5
) -> List[str]:
    """``num`` captions: the canonical ordered one first, then paraphrases (one
    may describe one event).

    Full templates describe every event in order; the partial one ties one
    event to its phase.
    """
    ev, n = plan['events'], len(plan['events'])
    fwd = list(range(n))
    static = [
        o
        for i, o in enumerate(plan['objects'])
        if all(e['object'] != i for e in ev)
    ]

    def first() -> str:
        c = _clauses(ev, fwd, rng, True)
        return (
            f'first {c[0]} and then {c[1]}'
            if n == 2
            else f'first {c[0]}, then {c[1]}, and finally {c[2]}'
        )

    def listing() -> str:
        c = _clauses(ev, fwd, rng, True)
        return (
            f'{c[0]} and then {c[1]}'
            if n == 2
            else f'{c[0]}, {c[1]}, and then {c[2]}'
        )

    def before() -> str:
        c = _clauses(ev, fwd, rng, False)
        return f'{c[0]} before {c[1]}' + (
            '' if n == 2 else f', and then {c[2]}'
        )

    def after() -> str:
        if n == 2:
            c = _clauses(ev, [1, 0], rng, False)
            return f'{c[0]} after {c[1]}'
        c = _clauses(ev, fwd, rng, False)
        return f'after {c[0]}, {c[1]} and then {c[2]}'

    def phases() -> str:
        c = _clauses(ev, fwd, rng, False)
        pre = {
            'start': 'at the start',
            'middle': 'in the middle',
            'end': 'and at the end',
        }
        return ', '.join(f'{pre[p]} {x}' for p, x in zip(PHASES[n], c))

    def still() -> str:
        o = static[int(rng.integers(len(static)))]
        return (
            ', then '.join(_clauses(ev, fwd, rng, True))
            + f', while a {o["colour"]} {o["shape"]} stays still'
        )

    def partial() -> str:
        k = int(rng.integers(n))
        where = 'in' if PHASES[n][k] == 'middle' else 'at'
        return f'{_clauses(ev, [k], rng, False)[0]} {where} the {PHASES[n][k]}'

    full = [first, listing, before, after, phases] + (
        [still] if static else []
    )
    picks = [full[int(i)] for i in rng.permutation(len(full))[: num - 2]]
    last = [partial, *[f for f in full if f not in picks]]
    picks.append(last[int(rng.integers(len(last)))])
    return [', then '.join(_clauses(ev, fwd, None, False))] + [
        f() for f in picks
    ]


def make_qa(
    plan: Dict[str, Any], rng: np.random.Generator, num: int = 5
) -> List[Dict[str, str]]:
    """Up to ``num`` single-word QA pairs, at most one per template;
    ``answer_type`` is the wh-word.
    """
    ev, objs = plan['events'], plan['objects']
    groups: Dict[str, List[Tuple[str, str, str]]] = {
        'count': [
            ('how many shapes are there?', COUNT_WORDS[len(objs)], 'how')
        ]
    }
    keys = [_event_key(e) for e in ev]
    for k, e in zip(keys, ev):
        if keys.count(k) == 1:
            verb = VERBS[k][0]
            groups.setdefault('colour_of_event', []).append(
                (f'what colour is the shape that {verb}?', e['colour'], 'what')
            )
            groups.setdefault('shape_of_event', []).append(
                (f'what shape {verb}?', e['shape'], 'what')
            )
    for i, o in enumerate(objs):
        mine = [e for e in ev if e['object'] == i]
        name = f'{o["colour"]} {o["shape"]}'
        dirs = {e['direction'] for e in mine if e['action'] == 'move'}
        if len(dirs) == 1:
            groups.setdefault('direction', []).append(
                (f'which way does the {name} move?', dirs.pop(), 'which')
            )
        if len(mine) == 1:
            groups.setdefault('action', []).append(
                (
                    f'what does the {name} do?',
                    QA_ACTION[mine[0]['action']],
                    'what',
                )
            )
        for k, e in enumerate(ev):
            if (
                e['object'] == i
                and sum(x['action'] == e['action'] for x in mine) == 1
            ):
                groups.setdefault('when', []).append(
                    (
                        f'when does the {name} {e["action"]}?',
                        PHASES[len(ev)][k],
                        'when',
                    )
                )
        if [p['shape'] for p in objs].count(o['shape']) == 1:
            groups.setdefault('colour_of_shape', []).append(
                (f'what colour is the {o["shape"]}?', o['colour'], 'what')
            )
    if len(objs) > 1:
        groups['order'] = [
            (
                'what colour is the shape that changes first?',
                ev[0]['colour'],
                'what',
            ),
            (
                'what colour is the shape that changes last?',
                ev[-1]['colour'],
                'what',
            ),
        ]
    order = [list(groups)[int(i)] for i in rng.permutation(len(groups))][:num]
    out = []
    for g in order:
        q, a, t = groups[g][int(rng.integers(len(groups[g])))]
        out.append({'answer': a, 'question': q, 'answer_type': t})
    return out


# -----------------------------------------------------------------------------
# pixels
def render_frames(plan: Dict[str, Any]) -> np.ndarray:
    """Draw every frame of a planned video.

    Args:
        plan: Output of :func:`plan_video`.

    Returns:
        np.ndarray: uint8 RGB frames.

    Shape:
        - Output: :math:`(T, S, S, 3)` with ``T = duration * fps`` and ``S =
          size``.
    """
    n, s = plan['num_frames'], plan['size']
    t = np.arange(n) / plan['fps']
    grid = np.arange(s, dtype=np.float32) + 0.5  # pixel centres
    frames = np.empty((n, s, s, 3), np.float32)
    frames[:] = BACKGROUND
    for o in plan['objects']:
        tr = o['track']
        x, y, r, a = (
            np.interp(t, tr['t'], tr[k]).astype(np.float32)
            for k in ('x', 'y', 'radius', 'alpha')
        )
        dx = grid[None, None, :] - x[:, None, None]
        dy = grid[None, :, None] - y[:, None, None]
        rr = r[:, None, None]
        if o['shape'] == 'circle':
            mask = dx * dx + dy * dy <= rr * rr
        elif o['shape'] == 'square':
            mask = np.maximum(np.abs(dx), np.abs(dy)) <= 0.85 * rr
        # triangle pointing up: apex at -r, base at +0.8r with half-width 1.2r
        else:
            mask = (dy <= 0.8 * rr) & (
                np.abs(dx) <= (dy + rr) * np.float32(1.2 / 1.8)
            )
        w = mask * a[:, None, None]
        # blend only the covered pixels (alpha compositing, back to front)
        on = w > 0
        frames[on] += w[on][:, None] * (
            np.asarray(COLOURS[o['colour']], np.float32) - frames[on]
        )
    # convex blends of values in [0, 255]: no clipping needed
    return np.rint(frames).astype(np.uint8)


def encode_mp4(frames: np.ndarray, path: str, fps: int) -> None:
    """Write frames as H.264/yuv420p mp4 through PyAV, via ``path + '.tmp'``
    and an atomic rename.

    One encoder thread keeps x264's output bit-exact across runs (and the
    worker pool does the parallelism).
    """
    tmp = path + '.tmp'
    with av.open(tmp, mode='w', format='mp4') as container:
        stream = container.add_stream(
            'libx264',
            rate=fps,
            options={'crf': '16', 'preset': 'veryfast', 'threads': '1'},
        )
        stream.width, stream.height, stream.pix_fmt = (
            frames.shape[2],
            frames.shape[1],
            'yuv420p',
        )
        for arr in frames:
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(arr, format='rgb24')
            ):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def make_video(
    job: Tuple[int, int, int, int, Optional[str]],
) -> Dict[str, Any]:
    """Worker: plan video ``index`` and its language; render and encode it when
    ``path`` is given.

    Args:
        job: ``(seed, index, size, fps, path)``.

    Returns:
        dict: plan (without the rng) plus ``captions``, ``qa`` and per-event
        ``sentence``.
    """
    seed, index, size, fps, path = job
    plan = plan_video(seed, index, size, fps)
    rng = plan.pop('rng')
    for e in plan['events']:
        e['sentence'] = segment_sentence(e)
    plan['captions'] = make_captions(plan, rng)
    # a full caption for JSFusion
    plan['test_caption'] = int(rng.integers(len(plan['captions']) - 1))
    plan['qa'] = make_qa(plan, rng)
    if path is not None:
        encode_mp4(render_frames(plan), path, fps)
    return plan
