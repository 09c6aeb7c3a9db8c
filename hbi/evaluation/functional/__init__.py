from .caption import (
    CAPTION_METRICS,
    caption_scores,
    caption_scores_of_sets,
    check_java,
    format_caption_table,
)
from .qa import (
    format_qa_rows,
    format_qa_table,
    normalize_answer,
    prior_answers,
    qa_accuracy,
)
from .rescoring import dual_softmax, qb_norm
from .retrieval import (
    V2T_RULES,
    recall_summary,
    retrieval_metrics,
    text_to_video_ranks,
    video_to_text_ranks,
)
from .retrieval_table import format_retrieval_table

__all__ = [
    'V2T_RULES',
    'CAPTION_METRICS',
    'caption_scores',
    'caption_scores_of_sets',
    'check_java',
    'format_caption_table',
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
