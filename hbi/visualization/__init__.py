"""Plotting helpers (matplotlib, Agg backend)."""

from .banzhaf_maps import LevelMap, plot_banzhaf_maps
from .retrieval_examples import plot_retrieval_examples

__all__ = ['LevelMap', 'plot_banzhaf_maps', 'plot_retrieval_examples']
