from .video_text_data_preprocessor import (
    CLIP_MEAN,
    CLIP_STD,
    VideoTextDataPreprocessor,
)

__all__ = ['CLIP_MEAN', 'CLIP_STD', 'VideoTextDataPreprocessor']
