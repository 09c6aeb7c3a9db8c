from .caption_loops import CaptionTestLoop, CaptionValLoop
from .hbi_runner import HBIRunner
from .qa_loops import VideoQATestLoop, VideoQAValLoop
from .retrieval_loops import RetrievalTestLoop, RetrievalValLoop

__all__ = [
    'CaptionTestLoop',
    'CaptionValLoop',
    'HBIRunner',
    'RetrievalTestLoop',
    'RetrievalValLoop',
    'VideoQATestLoop',
    'VideoQAValLoop',
]
