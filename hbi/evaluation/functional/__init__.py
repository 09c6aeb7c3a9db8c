from .qa import (
    format_qa_rows,
    format_qa_table,
    normalize_answer,
    prior_answers,
    qa_accuracy,
)
from .rescoring import dual_softmax, qb_norm
from .retrieval import (
    format_retrieval_table,
    recall_summary,
    retrieval_metrics,
    text_to_video_ranks,
    video_to_text_ranks,
)

__all__ = [
    'text_to_video_ranks',
    'video_to_text_ranks',
    'recall_summary',
    'retrieval_metrics',
    'format_retrieval_table',
    'dual_softmax',
    'qb_norm',
    'format_qa_rows',
    'format_qa_table',
    'normalize_answer',
    'prior_answers',
    'qa_accuracy',
]
