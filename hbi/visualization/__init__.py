"""Plotting helpers (matplotlib, Agg backend)."""

from .banzhaf_maps import LevelMap, plot_banzhaf_maps
from .caption_examples import plot_caption, plot_caption_examples
from .retrieval_examples import plot_retrieval_examples

__all__ = [
    'LevelMap',
    'plot_banzhaf_maps',
    'plot_caption',
    'plot_caption_examples',
    'plot_retrieval_examples',
]
