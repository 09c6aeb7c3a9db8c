from .retrieval_metric import RetrievalMetric

__all__ = ['RetrievalMetric']
from .video_qa_accuracy import VideoQAAccuracy  # noqa: E402,F401
