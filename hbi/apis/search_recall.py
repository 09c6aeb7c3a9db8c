"""How much the first stage of a two-stage search loses: recall@k of the
two-stage top-k against the exhaustive top-k, for several re-rank depths."""

import time
from typing import Dict, List, Optional, Sequence

import numpy as np
from torch import Tensor

from .video_search_index import VideoSearchIndex

__all__ = ['compare_two_stage', 'format_two_stage_table']


def _row(
    name: str,
    indices: np.ndarray,
    exhaustive: np.ndarray,
    ks: Sequence[int],
    gt: Optional[np.ndarray],
    seconds: float,
) -> Dict[str, object]:
    row: Dict[str, object] = dict(depth=name)
    for k in ks:
        kk = min(k, exhaustive.shape[1])
        row[f'vs-exh@{k}'] = 100 * float(
            np.mean(
                [
                    len(set(a[:kk]) & set(b[:kk])) / kk
                    for a, b in zip(indices, exhaustive)
                ]
            )
        )
        if gt is not None:
            row[f'R@{k}'] = 100 * float(
                np.mean([g in a[:kk] for a, g in zip(indices, gt)])
            )
    row['ms/query'] = 1000 * seconds / max(1, len(indices))
    return row


def compare_two_stage(
    index: VideoSearchIndex,
    text: Dict[str, Tensor],
    depths: Sequence[int],
    ks: Sequence[int] = (1, 5, 10),
    gt: Optional[np.ndarray] = None,
) -> List[dict]:
    """Two-stage search at each depth against exhaustive search.

    Args:
        index (VideoSearchIndex): An index holding the gallery.
        text (dict[str, Tensor]): Encoded queries
            (:meth:`VideoSearchIndex.encode_queries`).
        depths (Sequence[int]): Re-rank depths to try.
        ks (Sequence[int]): Cut-offs. Defaults to (1, 5, 10).
        gt (np.ndarray, optional): Ground-truth gallery index per query; adds
            the ordinary ``R@k`` columns.

    Returns:
        list[dict]: One row per depth, then the exhaustive row:
        ``vs-exh@k`` (% of the exhaustive top-k found by the two-stage
        top-k; 100 for exhaustive itself), ``R@k`` (with ``gt``) and
        ``ms/query``.
    """
    k_max = max(ks)
    start = time.perf_counter()
    exhaustive, _ = index.search_exhaustive(text, k_max)
    exhaustive_s = time.perf_counter() - start
    rows = []
    for depth in depths:
        start = time.perf_counter()
        indices, _ = index.search_two_stage(text, k_max, depth)
        rows.append(
            _row(
                str(depth),
                indices,
                exhaustive,
                ks,
                gt,
                time.perf_counter() - start,
            )
        )
    rows.append(
        _row('exhaustive', exhaustive, exhaustive, ks, gt, exhaustive_s)
    )
    return rows


def format_two_stage_table(rows: List[dict]) -> str:
    """Plain-text table of :func:`compare_two_stage`'s rows."""
    header = list(rows[0])
    lines = [header] + [
        [
            row[h] if isinstance(row[h], str) else f'{row[h]:.1f}'
            for h in header
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        ' | '.join(c.rjust(w) for c, w in zip(line, widths)) for line in lines
    ]
    out.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(out)
