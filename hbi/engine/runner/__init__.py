from .hbi_runner import HBIRunner
from .retrieval_loops import RetrievalTestLoop, RetrievalValLoop

__all__ = ['HBIRunner', 'RetrievalTestLoop', 'RetrievalValLoop']
