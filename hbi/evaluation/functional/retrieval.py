"""Text-video retrieval ranks and recall summaries as pure numpy functions.

The similarity matrix is always ``sim[text, video]`` with one row per caption
and one column per video; ``text_to_video[i]`` is the index of caption ``i``'s
ground-truth video. This covers one caption per video (MSR-VTT 1k-A) and
several captions per video (MSVD, MSR-VTT full test) with the same code,
unlike mmaction's ``RetrievalMetric`` which assumes a square matrix and breaks
on tied scores (mmaction2's RetrievalMetric does).

Tie convention (pessimistic): an item whose score *equals* the ground truth's
is counted as ranked ahead of it, so

    rank = #{items with score > gt} + #{other items with score == gt}.

The optimistic convention (``>`` only, mmpretrain's) rewards degenerate
models: a collapsed model that gives every pair the same score would get
R@1 = 100 %. Under the pessimistic convention it gets rank ``N - 1`` for every
query, i.e. the worst possible result, which is what it deserves. For
video-to-text with several own captions, a video's other own captions tied
with its best one do not count against it (they are correct answers too).

All functions process query rows in chunks, so the extra memory is bounded
(a few tens of MB) whatever the matrix size; both directions of a
60,000 x 3,000 float32 matrix take 1-2 s on two shared cores.
"""

import re
from typing import Dict, Iterator, Mapping, Sequence, Tuple

import numpy as np

from .text_table import render_text_table

__all__ = [
    'text_to_video_ranks',
    'video_to_text_ranks',
    'recall_summary',
    'retrieval_metrics',
    'format_retrieval_table',
]

# Elements per chunk of rows: ~4M elements keeps the float64 / bool
# temporaries of one chunk at a few tens of MB.
_CHUNK_ELEMENTS = 1 << 22


def iter_row_chunks(num_rows: int, num_cols: int) -> Iterator[slice]:
    """Yield row slices that cover ``range(num_rows)`` in bounded chunks.

    Args:
        num_rows (int): Number of rows of the matrix.
        num_cols (int): Number of columns; a chunk holds about
            ``_CHUNK_ELEMENTS`` elements.

    Yields:
        slice: Consecutive row slices.
    """
    step = max(1, _CHUNK_ELEMENTS // max(1, num_cols))
    for start in range(0, num_rows, step):
        yield slice(start, min(start + step, num_rows))


def check_similarity(
    sim: np.ndarray, name: str = 'sim', allow_inf: bool = True
) -> None:
    """Raise ``ValueError`` unless ``sim`` is a non-empty 2-D real matrix.

    Args:
        sim (np.ndarray): The matrix to check.
        name (str): Argument name used in the error messages.
        allow_inf (bool): Whether ``+-inf`` entries are accepted. NaN never
            is.

    Shape:
        - sim: :math:`(N_q, N_g)`.
    """
    if not isinstance(sim, np.ndarray):
        raise ValueError(
            f'`{name}` must be a numpy array, got {type(sim).__name__}'
        )
    if sim.ndim != 2:
        raise ValueError(
            f'`{name}` must be 2-D [queries, gallery], got shape {sim.shape}'
        )
    if 0 in sim.shape:
        raise ValueError(f'`{name}` must not be empty, got shape {sim.shape}')
    if sim.dtype == np.bool_ or not (
        np.issubdtype(sim.dtype, np.floating)
        or np.issubdtype(sim.dtype, np.integer)
    ):
        raise ValueError(
            f'`{name}` must have a real (float or int) dtype, got {sim.dtype}'
        )
    if not np.issubdtype(sim.dtype, np.floating):
        return
    for rows in iter_row_chunks(*sim.shape):
        chunk = sim[rows]
        if np.isnan(chunk).any():
            raise ValueError(
                f'`{name}` contains NaN (first in rows '
                f'{rows.start}..{rows.stop - 1})'
            )
        if not allow_inf and np.isinf(chunk).any():
            raise ValueError(
                f'`{name}` contains +-inf (first in rows '
                f'{rows.start}..{rows.stop - 1})'
            )


def _check_text_to_video(
    text_to_video: np.ndarray, num_texts: int, num_videos: int
) -> None:
    """Raise ``ValueError`` unless ``text_to_video`` indexes ``sim``'s
    columns.

    Args:
        text_to_video (np.ndarray): Ground-truth video of each caption.
        num_texts (int): Number of rows of ``sim``.
        num_videos (int): Number of columns of ``sim``.

    Shape:
        - text_to_video: :math:`(N_t,)`.
    """
    if not isinstance(text_to_video, np.ndarray):
        raise ValueError(
            '`text_to_video` must be a numpy array, got '
            f'{type(text_to_video).__name__}'
        )
    if text_to_video.dtype == np.bool_ or not np.issubdtype(
        text_to_video.dtype, np.integer
    ):
        raise ValueError(
            '`text_to_video` must have an integer dtype, got '
            f'{text_to_video.dtype}'
        )
    if text_to_video.shape != (num_texts,):
        raise ValueError(
            f'`text_to_video` must have shape ({num_texts},) to match '
            f'`sim` [{num_texts}, {num_videos}], got {text_to_video.shape}'
        )
    low, high = int(text_to_video.min()), int(text_to_video.max())
    if low < 0 or high >= num_videos:
        raise ValueError(
            f'`text_to_video` must lie in [0, {num_videos - 1}] '
            f'(columns of `sim`), got values in [{low}, {high}]'
        )


def _t2v_ranks(sim: np.ndarray, text_to_video: np.ndarray) -> np.ndarray:
    """Unchecked worker of :func:`text_to_video_ranks`."""
    gt_score = sim[np.arange(sim.shape[0]), text_to_video]
    ranks = np.empty(sim.shape[0], dtype=np.int64)
    for rows in iter_row_chunks(*sim.shape):
        # ``>=`` counts the ground truth itself once; subtract it.
        ranks[rows] = (sim[rows] >= gt_score[rows, None]).sum(axis=1) - 1
    return ranks


def _v2t_ranks(sim: np.ndarray, text_to_video: np.ndarray) -> np.ndarray:
    """Unchecked worker of :func:`video_to_text_ranks`."""
    num_texts, num_videos = sim.shape
    num_captions = np.bincount(text_to_video, minlength=num_videos)
    missing = int((num_captions == 0).sum())
    if missing:
        raise ValueError(
            f'video_to_text_ranks: {missing} of {num_videos} videos have no '
            f'caption in `text_to_video` (e.g. video '
            f'{int(np.flatnonzero(num_captions == 0)[0])}); their rank is '
            'undefined'
        )
    own_score = sim[np.arange(num_texts), text_to_video]
    best = np.full(num_videos, -np.inf)
    np.maximum.at(best, text_to_video, own_score)
    best = (
        best.astype(sim.dtype)
        if np.issubdtype(sim.dtype, np.floating)
        else best
    )
    at_least_best = np.zeros(num_videos, dtype=np.int64)
    for rows in iter_row_chunks(num_texts, num_videos):
        at_least_best += (sim[rows] >= best[None, :]).sum(axis=0)
    # Own captions tied with the best one (including itself) are not
    # counted against the video.
    own_ties = np.bincount(
        text_to_video,
        weights=(own_score == best[text_to_video]),
        minlength=num_videos,
    ).astype(np.int64)
    return at_least_best - own_ties


def text_to_video_ranks(
    sim: np.ndarray, text_to_video: np.ndarray
) -> np.ndarray:
    """0-based rank of each caption's ground-truth video (pessimistic ties).

    ``rank[i] = #{v: sim[i, v] > g} + #{v != gt: sim[i, v] == g}`` with
    ``gt = text_to_video[i]`` and ``g = sim[i, gt]``. Ties count against the
    query so that a collapsed model (all scores equal) gets rank ``Nv - 1``
    rather than R@1 = 100 %.

    Args:
        sim (np.ndarray): Text-to-video similarities, float or int, no NaN.
        text_to_video (np.ndarray): Integer ground-truth video of each
            caption, in ``[0, Nv)``.

    Returns:
        np.ndarray: int64 ranks, 0 = retrieved first.

    Shape:
        - sim: :math:`(N_t, N_v)`.
        - text_to_video: :math:`(N_t,)`.
        - output: :math:`(N_t,)`.
    """
    check_similarity(sim)
    _check_text_to_video(text_to_video, *sim.shape)
    return _t2v_ranks(sim, text_to_video)


def video_to_text_ranks(
    sim: np.ndarray, text_to_video: np.ndarray
) -> np.ndarray:
    """0-based rank of each video's best-ranked own caption (pessimistic).

    Each video is a query over all captions (a column of ``sim``). With
    several captions per video its rank is that of its *best-ranked* own
    caption, the community convention for MSVD and MSR-VTT full test. With
    ``m_v`` the best own-caption score of video ``v``:
    ``rank[v] = #{captions of other videos with score >= m_v}``, i.e. ties
    with other videos' captions count against it, ties with its own
    captions do not.

    Args:
        sim (np.ndarray): Text-to-video similarities, float or int, no NaN.
        text_to_video (np.ndarray): Integer ground-truth video of each
            caption, in ``[0, Nv)``; every video needs at least one caption.

    Returns:
        np.ndarray: int64 ranks, 0 = retrieved first.

    Raises:
        ValueError: On bad input, or if some videos have no caption (the
            message says how many).

    Shape:
        - sim: :math:`(N_t, N_v)`.
        - text_to_video: :math:`(N_t,)`.
        - output: :math:`(N_v,)`.
    """
    check_similarity(sim)
    _check_text_to_video(text_to_video, *sim.shape)
    return _v2t_ranks(sim, text_to_video)


def recall_summary(
    ranks: np.ndarray, ks: Sequence[int] = (1, 5, 10, 50)
) -> Dict[str, float]:
    """Recall at ``ks`` (percent) and median / mean rank (1-based).

    Args:
        ranks (np.ndarray): Non-negative 0-based integer ranks.
        ks (Sequence[int]): Cut-offs for ``R@k``, positive integers.

    Returns:
        dict: ``{'R@k': ..., 'MdR': ..., 'MnR': ...}`` as Python floats.

    Shape:
        - ranks: :math:`(N,)`.
    """
    ranks = np.asarray(ranks)
    if ranks.ndim != 1 or ranks.size == 0:
        raise ValueError(
            f'`ranks` must be a non-empty 1-D array, got shape {ranks.shape}'
        )
    if not np.issubdtype(ranks.dtype, np.integer) or ranks.min() < 0:
        raise ValueError(
            '`ranks` must be non-negative integers, got dtype '
            f'{ranks.dtype} and min {ranks.min()}'
        )
    ks = check_ks(ks)
    out = {f'R@{k}': float((ranks < k).mean() * 100) for k in ks}
    out['MdR'] = float(np.median(ranks) + 1)
    out['MnR'] = float(ranks.mean() + 1)
    return out


def check_ks(ks: Sequence[int]) -> Tuple[int, ...]:
    """Validate recall cut-offs and return them as a tuple of ints.

    Args:
        ks (Sequence[int]): Positive, distinct integers.

    Returns:
        tuple[int, ...]: The cut-offs.
    """
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Sequence):
        raise ValueError(f'`ks` must be a sequence of ints, got {ks!r}')
    if (
        not ks
        or any(
            isinstance(k, bool)
            or not isinstance(k, (int, np.integer))
            or k < 1
            for k in ks
        )
        or len(set(ks)) != len(ks)
    ):
        raise ValueError(
            f'`ks` must be distinct positive integers, got {tuple(ks)!r}'
        )
    return tuple(int(k) for k in ks)


def retrieval_metrics(
    sim: np.ndarray,
    text_to_video: np.ndarray,
    ks: Sequence[int] = (1, 5, 10, 50),
) -> Dict[str, float]:
    """Both directions' recall summaries, keyed ``'t2v/R@1'`` ...
    ``'v2t/MnR'``.

    Args:
        sim (np.ndarray): Text-to-video similarities, float or int, no NaN.
        text_to_video (np.ndarray): Integer ground-truth video of each
            caption; every video needs at least one caption.
        ks (Sequence[int]): Cut-offs for ``R@k``.

    Returns:
        dict: ``'t2v/…'`` then ``'v2t/…'`` keys of :func:`recall_summary`.

    Shape:
        - sim: :math:`(N_t, N_v)`.
        - text_to_video: :math:`(N_t,)`.
    """
    ks = check_ks(ks)
    check_similarity(sim)
    _check_text_to_video(text_to_video, *sim.shape)
    out = {}
    for direction, ranks in (
        ('t2v', _t2v_ranks(sim, text_to_video)),
        ('v2t', _v2t_ranks(sim, text_to_video)),
    ):
        for key, value in recall_summary(ranks, ks).items():
            out[f'{direction}/{key}'] = value
    return out


def _column_order(name: str) -> Tuple[int, int]:
    """Sort key of a metric column: ``R@k`` by ``k``, then MdR, MnR, rest."""
    match = re.fullmatch(r'R@(\d+)', name)
    if match:
        return (0, int(match.group(1)))
    return ({'MdR': 1, 'MnR': 2}.get(name, 3), 0)


def format_retrieval_table(metrics: Mapping[str, float]) -> str:
    """Render retrieval metrics as a plain-text table.

    Keys are ``[group/]direction/name`` (e.g. ``'t2v/R@1'``,
    ``'dsl/v2t/MdR'``, ``'retrieval/qb_norm/t2v/R@5'``); rows are
    ``(group, direction)`` with the un-prefixed group labelled ``raw``,
    columns are ``R@k`` (ascending k), ``MdR``, ``MnR``. Missing cells are
    ``-``. Keys that do not end in ``t2v/…`` or ``v2t/…`` are ignored.

    Args:
        metrics (Mapping[str, float]): Output of :func:`retrieval_metrics`,
            possibly with several prefixed groups merged in.

    Returns:
        str: The table, one line per row, without a trailing newline.
    """
    rows: Dict[Tuple[str, str], Dict[str, float]] = {}
    columns = []
    for key, value in metrics.items():
        parts = key.split('/')
        if len(parts) < 2 or parts[-2] not in ('t2v', 'v2t'):
            continue
        group = '/'.join(parts[:-2]) or 'raw'
        rows.setdefault((group, parts[-2]), {})[parts[-1]] = value
        if parts[-1] not in columns:
            columns.append(parts[-1])
    columns.sort(key=_column_order)
    header = ['method', 'direction'] + columns
    lines = [header]
    for (group, direction), cells in rows.items():
        lines.append(
            [group, direction]
            + [f'{cells[c]:.1f}' if c in cells else '-' for c in columns]
        )
    return render_text_table(lines, num_left=2)
