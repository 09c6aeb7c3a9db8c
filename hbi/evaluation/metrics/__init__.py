from .caption_metric import CaptionMetric
from .retrieval_metric import RetrievalMetric

__all__ = ['CaptionMetric', 'RetrievalMetric']
from .banzhaf_estimator_metric import BanzhafEstimatorMetric  # noqa: E402,F401
from .video_qa_accuracy import VideoQAAccuracy  # noqa: E402,F401
