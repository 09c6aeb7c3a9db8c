"""Plotting helpers (matplotlib, Agg backend)."""
from .banzhaf_maps import LevelMap, plot_banzhaf_maps

__all__ = ['LevelMap', 'plot_banzhaf_maps']
