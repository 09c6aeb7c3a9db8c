"""Plain-text tables of metrics (written by hand, a dozen lines, rather
than pulling in a table library)."""

from typing import List, Sequence


def render_text_table(lines: Sequence[Sequence[str]], num_left: int) -> str:
    """Render rows of cells as an aligned table with a rule under the header.

    Args:
        lines (Sequence[Sequence[str]]): The header row, then the data rows,
            all of the same length.
        num_left (int): Leading columns that are left-aligned (labels); the
            others are right-aligned (numbers).

    Returns:
        str: The table, one line per row, without a trailing newline.
    """
    widths: List[int] = [
        max(len(line[i]) for line in lines) for i in range(len(lines[0]))
    ]
    rendered = [
        ' | '.join(
            cell.ljust(w) if i < num_left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    rendered.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(rendered)
