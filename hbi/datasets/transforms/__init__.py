"""Data transforms of ``hbi`` (registered in ``TRANSFORMS``)."""

from .caption_masks import ContentWordMask, SemanticTextMask
from .decoding import LoadVideoFrames
from .formatting import MODALITY_GROUPS, PackVideoTextInputs
from .pil_resize import PILResizeCenterCrop
from .rand_augment import VideoRandAugment
from .sampling import (
    sample_frame_indices,
    sample_frame_indices_jittered,
    sample_frame_indices_opencv,
)
from .text import TokenizeCaptionForDecoder, TokenizeSegments, TokenizeText
from .video_reader import VideoDecodeError, VideoReader, open_video

__all__ = [
    'ContentWordMask',
    'LoadVideoFrames',
    'SemanticTextMask',
    'TokenizeSegments',
    'PackVideoTextInputs',
    'PILResizeCenterCrop',
    'VideoRandAugment',
    'MODALITY_GROUPS',
    'TokenizeText',
    'TokenizeCaptionForDecoder',
    'sample_frame_indices',
    'sample_frame_indices_jittered',
    'sample_frame_indices_opencv',
    'VideoDecodeError',
    'VideoReader',
    'open_video',
]
from .frame_cache import FrameCache  # noqa: E402,F401
