from .base import BaseVideoTextModel
from .video_text_retriever import VideoTextRetriever

__all__ = ['BaseVideoTextModel', 'VideoTextRetriever']
