from . import (
    answerers,
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
    'answerers',
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
