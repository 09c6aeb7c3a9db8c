"""Models that extend a retriever with a decoder and task heads."""

from .level_token_memory import LevelTokenMemory
from .video_text_encoder_decoder import VideoTextEncoderDecoder

__all__ = ['LevelTokenMemory', 'VideoTextEncoderDecoder']
