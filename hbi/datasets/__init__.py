"""Datasets, transforms and data-loading helpers of ``hbi``."""

from . import transforms  # noqa: F401  (registers the transforms)
from .activitynet_retrieval import ActivityNetRetrievalDataset
from .annotation_io import (
    check_text,
    join_sentences,
    read_csv_rows,
    read_json,
    read_jsonl,
    read_jsonl_lines,
    read_pickle,
    read_text_list,
    read_tsv_rows,
)
from .base_video_text_dataset import BaseVideoTextDataset
from .caption_references import CaptionReferencesMixin
from .didemo_retrieval import DiDeMoRetrievalDataset
from .lsmdc_retrieval import LSMDCRetrievalDataset
from .mmaction_retrieval import MMActionRetrievalDataset
from .msrvtt_caption import MSRVTTCaptionDataset
from .msrvtt_retrieval import MSRVTTRetrievalDataset
from .msvd_caption import MSVDCaptionDataset
from .msvd_retrieval import MSVDRetrievalDataset
from .video_qa import VideoQADataset
from .worker_seeding import WORKER_INIT_FN_NAME, seed_worker_from_loader

__all__ = [
    'read_csv_rows',
    'read_json',
    'read_jsonl',
    'read_jsonl_lines',
    'read_pickle',
    'read_text_list',
    'read_tsv_rows',
    'check_text',
    'join_sentences',
    'BaseVideoTextDataset',
    'MSRVTTRetrievalDataset',
    'MSRVTTCaptionDataset',
    'MSVDRetrievalDataset',
    'MSVDCaptionDataset',
    'CaptionReferencesMixin',
    'ActivityNetRetrievalDataset',
    'DiDeMoRetrievalDataset',
    'LSMDCRetrievalDataset',
    'MMActionRetrievalDataset',
    'VideoQADataset',
    'seed_worker_from_loader',
    'WORKER_INIT_FN_NAME',
]
