"""Retrieval metrics as a plain-text table (rows: re-scorer and direction)."""

import re
from typing import Dict, Mapping, Tuple

from .text_table import render_text_table

__all__ = ['format_retrieval_table']

#: The line that names each video-to-text rule (see
#: :mod:`hbi.evaluation.functional.retrieval`) under a table.
V2T_RULE_DESCRIPTIONS = {
    'best_caption_per_video': 'a video is ranked among the videos, each '
    'scored by its best caption (CLIP4Clip)',
    'all_captions': "a video's best caption is ranked among all captions",
}


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
    ``-``. A ``[prefix/]v2t_rule`` entry (see :class:`RetrievalMetric`) adds
    a line naming the video-to-text rule; other keys that do not end in
    ``t2v/…`` or ``v2t/…`` are ignored.

    Args:
        metrics (Mapping[str, float]): Output of :func:`retrieval_metrics`,
            possibly with several prefixed groups merged in.

    Returns:
        str: The table, one line per row, without a trailing newline.
    """
    rows: Dict[Tuple[str, str], Dict[str, float]] = {}
    columns = []
    rules = []
    for key, value in metrics.items():
        parts = key.split('/')
        if parts[-1] == 'v2t_rule':
            rules.append(value)
            continue
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
    rendered = [render_text_table(lines, num_left=2)]
    for rule in dict.fromkeys(rules):
        rendered.append(
            f'v2t rule {rule}: {V2T_RULE_DESCRIPTIONS.get(rule, rule)}'
        )
    return '\n'.join(rendered)
