"""Datasets, transforms and data-loading helpers of ``hbi``."""
from . import transforms  # noqa: F401  (registers the transforms)
from .annotation_io import read_csv_rows, read_json, read_jsonl
from .base_video_text_dataset import BaseVideoTextDataset
from .msrvtt_retrieval import MSRVTTRetrievalDataset
from .worker_seeding import WORKER_INIT_FN_NAME, seed_worker_from_loader

__all__ = [
    'read_csv_rows', 'read_json', 'read_jsonl', 'BaseVideoTextDataset',
    'MSRVTTRetrievalDataset', 'seed_worker_from_loader', 'WORKER_INIT_FN_NAME'
]
