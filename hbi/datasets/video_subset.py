"""A subset of a video-text dataset chosen by video (``indices``).

A video-text dataset has several views of one annotation (pairs, captions,
videos); cutting each view's item list, as mmengine's ``indices`` does, keeps
the first captions and the first videos, which belong to different videos.
Choosing the VIDEOS and keeping all their captions gives every view the same
subset.
"""

from typing import Optional, Sequence, Union

import numpy as np


def check_video_subset(
    indices: Optional[Union[int, Sequence[int]]],
) -> Optional[Union[int, list[int]]]:
    """``indices`` checked: None, an int, or a sequence of distinct ints."""
    if indices is None or (
        isinstance(indices, (int, np.integer))
        and not isinstance(indices, bool)
    ):
        return None if indices is None else int(indices)
    if isinstance(indices, (str, bytes)) or not isinstance(indices, Sequence):
        raise TypeError(
            f'indices must be an int or a sequence of ints, got {indices!r}'
        )
    if not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool)
        for i in indices
    ):
        raise TypeError(f'indices must hold ints only, got {list(indices)}')
    if len(set(indices)) != len(indices):
        raise ValueError(
            f'indices must not repeat a video (its captions would count '
            f'twice), got {list(indices)}'
        )
    return [int(i) for i in indices]


def select_videos(
    videos: list[dict], texts: list[dict], indices: Union[int, list[int]]
) -> tuple[list[dict], list[dict]]:
    """The videos chosen by ``indices`` and their captions, renumbered.

    Args:
        videos (list[dict]): All videos, in annotation order.
        texts (list[dict]): All captions, each with ``video_index``.
        indices (int | list[int]): First ``n`` (last ``-n``) videos, or the
            positions to keep, in the order given.

    Returns:
        tuple[list[dict], list[dict]]: ``(videos, texts)``; texts keep their
        order and get their video's new ``video_index``.
    """
    positions = list(range(len(videos)))
    if isinstance(indices, int):
        keep = positions[:indices] if indices >= 0 else positions[indices:]
    else:
        bad = [i for i in indices if not -len(videos) <= i < len(videos)]
        if bad:
            raise IndexError(
                f'indices {bad} are out of range for {len(videos)} videos'
            )
        keep = [positions[i] for i in indices]
    new_index = {old: new for new, old in enumerate(keep)}
    if len(new_index) != len(keep):  # e.g. 0 and -n name one video
        raise ValueError(f'indices name a video twice: {indices}')
    subset_texts = [
        dict(text, video_index=new_index[text['video_index']])
        for text in texts
        if text['video_index'] in new_index
    ]
    return [videos[i] for i in keep], subset_texts
