"""Timestamped segments of a video (a span and the sentence describing it).

A dataset's ``videos`` entries may carry ``segments``: a list of
``dict(start, end, sentence)`` in seconds. ActivityNet Captions and DiDeMo
give them in their annotations; other datasets can read them from an
ActivityNet-format ``segment_file`` (the synthetic world's
``segments_*.json``). The multi-level alignment loss uses them; frames of a
segment are sampled inside its span by :class:`LoadVideoFrames`.
"""

import logging
from typing import Any, Dict, List, Literal, Optional, Sequence

from mmengine.logging import print_log

from .annotation_io import check_fields, read_json

InvalidSegments = Literal['skip', 'error']


def segment_problem(
    start: Any, end: Any, duration: Optional[float]
) -> Optional[str]:
    """Why a segment cannot be used, or None.

    A segment needs numbers ``0 <= start < end`` and, when the video's
    ``duration`` is known, ``start < duration`` (an end past the duration is
    clipped to the video, as ActivityNet's often are by a fraction of a
    second).
    """
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in (start, end)
    ):
        return f'timestamps {[start, end]!r} are not numbers'
    if start < 0 or end <= start:
        return f'span [{start}, {end}] s is empty or negative'
    if duration is not None and start >= duration:
        return (
            f'span [{start}, {end}] s starts after the video ends '
            f'({duration} s)'
        )
    return None


def make_segments(
    timestamps: Sequence[Any], sentences: Sequence[Any]
) -> List[dict]:
    """``dict(start, end, sentence)`` per (timestamp, sentence) pair."""
    return [
        dict(
            start=span[0] if isinstance(span, (list, tuple)) else span,
            end=span[1]
            if isinstance(span, (list, tuple)) and len(span) == 2
            else None,
            sentence=sentence,
        )
        for span, sentence in zip(timestamps, sentences)
    ]


def read_segment_file(path: str) -> Dict[str, dict]:
    """``{video_id: dict(duration, segments)}`` of an ActivityNet-format
    file (``{video_id: {"duration", "timestamps", "sentences"}}``).

    Raises:
        ValueError: Naming the file and video for an entry without
            ``timestamps``/``sentences`` or with lists of different lengths.
    """
    ann = read_json(path)
    if not isinstance(ann, dict):
        raise ValueError(
            f'{path}: expected an object {{video_id: {{duration, timestamps, '
            f'sentences}}}}, got {type(ann).__name__}'
        )
    out = {}
    for video_id, entry in ann.items():
        where = f'{path}: video {video_id!r}'
        check_fields(entry, ('timestamps', 'sentences'), where)
        if len(entry['timestamps']) != len(entry['sentences']):
            raise ValueError(
                f"{where}: 'timestamps' ({len(entry['timestamps'])}) and "
                f"'sentences' ({len(entry['sentences'])}) differ in length"
            )
        out[video_id] = dict(
            duration=entry.get('duration'),
            segments=make_segments(entry['timestamps'], entry['sentences']),
        )
    return out


def check_video_segments(
    videos: List[dict],
    source: str,
    policy: InvalidSegments,
    owner: str,
) -> int:
    """Drop (``'skip'``) or refuse (``'error'``) the unusable segments of
    every video, in place; clip ends to the duration. Logs one warning with
    the count and video ids of the skipped ones.

    Args:
        videos (list[dict]): ``videos`` entries, with optional ``segments``
            and ``duration``.
        source (str): The file the segments come from, named in messages.
        policy (str): ``'skip'`` or ``'error'``.
        owner (str): Dataset name, for the log.

    Returns:
        int: Number of segments skipped.

    Raises:
        ValueError: With ``policy='error'``, naming the file, video id and
            what is wrong with the first unusable segment.
    """
    if policy not in ('skip', 'error'):
        raise ValueError(
            f"invalid_segments must be 'skip' or 'error', got {policy!r}"
        )
    skipped: List[str] = []
    for video in videos:
        segments = video.get('segments')
        if not segments:
            continue
        duration = video.get('duration')
        kept = []
        for i, segment in enumerate(segments):
            problem = segment_problem(
                segment['start'], segment['end'], duration
            )
            if problem is None and not str(segment['sentence']).strip():
                problem = 'its sentence is empty'
            if problem is None:
                if duration is not None:
                    segment['end'] = min(segment['end'], duration)
                kept.append(segment)
                continue
            message = (
                f'{source}: video {video["video_id"]!r}, segment {i}: '
                f'{problem}'
            )
            if policy == 'error':
                raise ValueError(
                    message + " (invalid_segments='skip' skips such segments)"
                )
            skipped.append(video['video_id'])
        video['segments'] = kept
    if skipped:
        print_log(
            f'{owner}: skipped {len(skipped)} segments outside their videos '
            f'or malformed in {source}, in videos '
            f'{sorted(set(skipped))[:10]} '
            "(invalid_segments='error' refuses them)",
            logger='current',
            level=logging.WARNING,
        )
    return len(skipped)
