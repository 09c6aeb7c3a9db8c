"""Helpers of the search API tests."""

import importlib.util

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from hbi.apis import VideoSearchIndex
from hbi.registry import DATASETS, MODELS
from tests.test_tools.fast_config import ROOT


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


def make_index(cfg: Config, folder, seed: int = 0, **kwargs):
    """A VideoSearchIndex on ``cfg``'s test pipelines, batches of 3."""
    data = cfg.test_dataloader.dataset
    return VideoSearchIndex(
        build_model(cfg, seed),
        str(folder),
        data.video_pipeline,
        data.text_pipeline,
        data.get('pack'),
        batch_size=3,
        first_stage='torch',
        **kwargs,
    )


def retrieve_tool():
    """``tools/analysis/retrieve.py`` imported by path."""
    spec = importlib.util.spec_from_file_location(
        'hbi_tools_retrieve', ROOT / 'tools/analysis/retrieve.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_inputs(cfg: Config, tmp_path) -> list:
    """``[CONFIG, CKPT, INDEX_DIR]`` of retrieve.py: ``cfg`` dumped and a
    random checkpoint of its model, under ``tmp_path``."""
    path = tmp_path / 'cfg.py'
    cfg.dump(str(path))
    ckpt = tmp_path / 'random.pth'
    torch.save(dict(state_dict=build_model(cfg).state_dict()), ckpt)
    return [str(path), str(ckpt), str(tmp_path / 'idx')]
