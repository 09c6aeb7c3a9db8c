from .banzhaf_estimator_trainer import BanzhafEstimatorTrainer
from .base import BaseVideoTextModel
from .model_checkpoint import (
    load_converted_state,
    load_model_checkpoint,
    read_model_checkpoint,
)
from .released_hbi_checkpoint import (
    convert_foreign_checkpoint,
    convert_openai_clip_checkpoint,
    convert_released_estimator,
    convert_released_hbi_checkpoint,
    detect_layout,
)
from .video_text_retriever import VideoTextRetriever

__all__ = [
    'BanzhafEstimatorTrainer',
    'BaseVideoTextModel',
    'VideoTextRetriever',
    'convert_foreign_checkpoint',
    'convert_openai_clip_checkpoint',
    'convert_released_estimator',
    'convert_released_hbi_checkpoint',
    'detect_layout',
    'load_converted_state',
    'load_model_checkpoint',
    'read_model_checkpoint',
]
