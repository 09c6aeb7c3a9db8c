from . import (
    answerers,
    backbones,
    data_preprocessors,
    heads,
    layers,
    losses,
    necks,
    retrievers,
    tokenizers,
)
from .functional import banzhaf_interaction

__all__ = [
    'answerers',
    'backbones',
    'data_preprocessors',
    'heads',
    'layers',
    'losses',
    'necks',
    'retrievers',
    'tokenizers',
    'banzhaf_interaction',
]
