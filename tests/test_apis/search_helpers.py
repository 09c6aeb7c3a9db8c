"""Helpers of the search API tests."""

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from hbi.registry import DATASETS, MODELS


def build_model(cfg: Config, seed: int = 0) -> torch.nn.Module:
    init_default_scope('hbi')
    torch.manual_seed(seed)
    return MODELS.build(cfg.model).eval()


def split_of(cfg: Config):
    """``(paths, ids, captions, gt video index per caption)`` of the test
    split."""
    init_default_scope('hbi')
    data = DATASETS.build(cfg.test_dataloader.dataset)
    videos = data.videos
    return (
        [v['video_path'] for v in videos],
        [v['video_id'] for v in videos],
        [t['caption'] for t in data.texts],
        [t['video_index'] for t in data.texts],
    )
