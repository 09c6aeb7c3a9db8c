from . import (
    backbones,
    data_preprocessors,
    decoders,
    encoder_decoders,
    heads,
    layers,
    losses,
    necks,
    rerankers,
    retrievers,
    tokenizers,
)
from .functional import banzhaf_interaction

__all__ = [
    'backbones',
    'data_preprocessors',
    'decoders',
    'encoder_decoders',
    'heads',
    'layers',
    'losses',
    'necks',
    'rerankers',
    'retrievers',
    'tokenizers',
    'banzhaf_interaction',
]
