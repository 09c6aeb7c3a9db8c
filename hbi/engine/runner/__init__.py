from .caption_loops import CaptionTestLoop, CaptionValLoop
from .hbi_runner import HBIRunner
from .retrieval_loops import RetrievalTestLoop, RetrievalValLoop

__all__ = [
    'CaptionTestLoop',
    'CaptionValLoop',
    'HBIRunner',
    'RetrievalTestLoop',
    'RetrievalValLoop',
]
