"""Data transforms of ``hbi`` (registered in ``TRANSFORMS``)."""

from .decoding import LoadVideoFrames
from .formatting import MODALITY_GROUPS, PackVideoTextInputs
from .sampling import sample_frame_indices, sample_frame_indices_jittered
from .text import TokenizeCaptionForDecoder, TokenizeText
from .video_reader import VideoDecodeError, VideoReader, open_video

__all__ = [
    'LoadVideoFrames',
    'PackVideoTextInputs',
    'MODALITY_GROUPS',
    'TokenizeText',
    'TokenizeCaptionForDecoder',
    'sample_frame_indices',
    'sample_frame_indices_jittered',
    'VideoDecodeError',
    'VideoReader',
    'open_video',
]
from .frame_cache import FrameCache  # noqa: E402,F401
