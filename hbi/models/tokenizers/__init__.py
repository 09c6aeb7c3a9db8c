"""Text tokenizers (registered in ``TOKENIZERS``)."""

from .clip_tokenizer import (
    CLIPBPETokenizer,
    build_clip_vocab,
    normalize_caption,
)

__all__ = ['CLIPBPETokenizer', 'build_clip_vocab', 'normalize_caption']
