"""Figures of HBI's interaction maps next to the sampled frames.

The paper shows, for one text-video pair, the sampled frames and, per level,
the token x frame (or merged-token) interaction map; we add the entity
level's Monte-Carlo Banzhaf Interaction next to the estimator's prediction.
Plain matplotlib (Agg, no display needed); mmengine's visualiser draws on
single images and has no labelled-heatmap grid.
"""

from typing import NamedTuple, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


class LevelMap(NamedTuple):
    """One level's map: ``matrix`` (rows x cols) with its tick labels."""

    name: str
    matrix: np.ndarray
    row_labels: Sequence[str]
    col_labels: Sequence[str]


def _heatmap(
    ax: Axes,
    matrix: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    title: str,
    cmap: str = 'viridis',
    symmetric: bool = False,
    bound: Optional[float] = None,
) -> None:
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape != (len(rows), len(cols)):
        raise ValueError(
            f'plot_banzhaf_maps: map {title!r} has shape '
            f'{matrix.shape}, labels give '
            f'({len(rows)}, {len(cols)})'
        )
    # Banzhaf maps are signed: centre the diverging colormap on 0.
    if symmetric and bound is None:
        bound = float(np.abs(matrix).max())
    bound = max(bound, 1e-12) if symmetric else None
    image = ax.imshow(
        matrix,
        cmap=cmap,
        aspect='auto',
        interpolation='nearest',
        vmin=-bound if symmetric else None,
        vmax=bound,
    )
    ax.set_yticks(range(len(rows)), rows, fontsize=6)
    ax.set_xticks(range(len(cols)), cols, fontsize=6)
    ax.set_title(
        f'{title}\n[{matrix.min():.3g}, {matrix.max():.3g}]', fontsize=8
    )
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02)


def _note(ax: Axes, title: str, text: str) -> None:
    ax.set_axis_off()
    ax.set_title(title, fontsize=8)
    ax.text(
        0.5,
        0.5,
        text,
        ha='center',
        va='center',
        wrap=True,
        fontsize=8,
        transform=ax.transAxes,
    )


def plot_banzhaf_maps(
    frames: np.ndarray,
    level_maps: Sequence[LevelMap],
    words: Sequence[str],
    monte_carlo: Optional[np.ndarray] = None,
    estimate: Optional[np.ndarray] = None,
    caption: str = '',
    missing_estimator: str = 'no estimator in this model',
    dpi: int = 100,
) -> Figure:
    """Frames on top, one map per level, then Monte-Carlo vs estimator.

    Args:
        frames (np.ndarray): The pair's real frames, uint8 RGB.
        level_maps (Sequence[LevelMap]): Per-level interaction maps.
        words (Sequence[str]): Row labels of the entity-level Banzhaf maps.
        monte_carlo (np.ndarray, optional): Monte-Carlo Banzhaf Interaction
            of the entity level, (len(words), T). None writes a note.
        estimate (np.ndarray, optional): The estimator's map, same shape.
            None writes ``missing_estimator`` in its panel.
        caption (str): Figure title.
        missing_estimator (str): Text of the empty estimator panel.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        Figure: With ``T + len(level_maps) + 2`` panels plus one colorbar per
        heatmap drawn.

    Shape:
        - frames: (T, H, W, 3)
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(
            'plot_banzhaf_maps: frames must be (T, H, W, 3) with '
            f'T >= 1, got {frames.shape}'
        )
    if not level_maps:
        raise ValueError('plot_banzhaf_maps: level_maps is empty')
    num = len(frames)
    frame_labels = [f'F{i}' for i in range(num)]
    width = max(2.2 * num * 0.6, 4.2 * max(len(level_maps), 2))
    fig = plt.figure(figsize=(width, 9.5), dpi=dpi)
    outer = fig.add_gridspec(3, 1, height_ratios=[1, 2.2, 2.2], hspace=0.45)
    for i, ax in enumerate(
        outer[0].subgridspec(1, num).subplots(squeeze=False)[0]
    ):
        ax.imshow(frames[i])
        ax.set_axis_off()
        ax.set_title(frame_labels[i], fontsize=7)
    level_axes = (
        outer[1]
        .subgridspec(1, len(level_maps), wspace=0.6)
        .subplots(squeeze=False)[0]
    )
    for ax, level in zip(level_axes, level_maps):
        _heatmap(
            ax,
            level.matrix,
            level.row_labels,
            level.col_labels,
            f'{level.name}: token-frame interaction',
        )
    mc_ax, est_ax = outer[2].subgridspec(1, 2, wspace=0.5).subplots()
    cols = frame_labels[: len(frames)]
    # Monte-Carlo and estimator maps share one colour scale.
    shared = max(
        [
            float(np.abs(np.asarray(m)).max())
            for m in (monte_carlo, estimate)
            if m is not None
        ]
        or [0.0]
    )
    if monte_carlo is None:
        _note(mc_ax, 'entity: Monte-Carlo Banzhaf', 'not computed')
    else:
        _heatmap(
            mc_ax,
            monte_carlo,
            words,
            cols,
            'entity: Monte-Carlo Banzhaf Interaction',
            cmap='coolwarm',
            symmetric=True,
            bound=shared,
        )
    if estimate is None:
        _note(est_ax, 'entity: estimator', missing_estimator)
    else:
        _heatmap(
            est_ax,
            estimate,
            words,
            cols,
            'entity: estimator',
            cmap='coolwarm',
            symmetric=True,
            bound=shared,
        )
    if caption:
        fig.suptitle(caption, fontsize=10)
    return fig
