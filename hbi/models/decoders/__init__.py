"""Text decoders over a memory of tokens (captioning, open-ended QA)."""

from .tied_bert_lm import TiedBertLMHeadModel
from .transformer_text_decoder import (
    TransformerTextDecoder,
    check_generation_args,
)

__all__ = [
    'TiedBertLMHeadModel',
    'TransformerTextDecoder',
    'check_generation_args',
]
