from .caption_baselines import most_frequent_caption, nearest_video_captions
from .feature_store import FeatureStore
from .first_stage import first_stage_vectors
from .search_recall import compare_two_stage, format_two_stage_table
from .vector_search import InnerProductSearch
from .video_qa import VideoQuestionAnswering
from .video_search_index import SearchHit, VideoSearchIndex

__all__ = [
    'most_frequent_caption',
    'nearest_video_captions',
    'FeatureStore',
    'first_stage_vectors',
    'InnerProductSearch',
    'VideoSearchIndex',
    'SearchHit',
    'compare_two_stage',
    'format_two_stage_table',
    'VideoQuestionAnswering',
]
