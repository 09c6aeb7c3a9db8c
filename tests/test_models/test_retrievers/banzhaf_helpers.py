"""A tiny synthetic world and tiny frozen retriever for the Banzhaf tests."""

from pathlib import Path
from typing import List

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import hbi.evaluation.metrics.banzhaf_estimator_metric  # noqa: F401
import hbi.models.retrievers.banzhaf_estimator_trainer  # noqa: F401
from hbi.registry import DATASETS, MODELS
from tests.test_tools.fast_config import ROOT, load_generator

init_default_scope('hbi')

SYNTHETIC_CONFIG = ROOT / (
    'configs/banzhaf/banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py'
)
#: The demo's tiny arch made smaller still, for speed.
TINY_ARCH = dict(
    base='tiny',
    embed_dim=32,
    vision=dict(width=32, layers=1, heads=2),
    text=dict(width=32, layers=1, heads=2),
)


def make_world(out: Path) -> Path:
    load_generator().generate_world(
        str(out),
        num_train=8,
        num_val=4,
        num_test=2,
        seed=5,
        workers=1,
        progress=False,
    )
    return out


def synthetic_config() -> Config:
    return Config.fromfile(str(SYNTHETIC_CONFIG))


def tiny_retriever_cfg(head: dict = None) -> dict:
    model = synthetic_config().model.retriever.to_dict()
    model['text_encoder']['arch'] = TINY_ARCH
    model['video_encoder']['arch'] = TINY_ARCH
    if head is not None:
        model['head'] = head
    return model


def save_retriever_checkpoint(
    path: Path, seed: int = 0, head: dict = None
) -> Path:
    torch.manual_seed(seed)
    retriever = MODELS.build(tiny_retriever_cfg(head))
    retriever.init_weights()
    torch.save({'state_dict': retriever.state_dict()}, path)
    return path


def build_trainer(checkpoint: Path, **kwargs):
    kwargs.setdefault('num_samples', 20)
    return MODELS.build(
        dict(
            type='BanzhafEstimatorTrainer',
            retriever=tiny_retriever_cfg(),
            retriever_checkpoint=str(checkpoint),
            **kwargs,
        )
    )


def pair_batches(
    world: Path, split: str, batch_size: int = 8, cache_root: Path = None
) -> List[dict]:
    """Collated batches of the synthetic config's train or val pairs."""
    cfg = synthetic_config()
    loader = cfg[f'{split}_dataloader']
    dataset_cfg = loader.dataset.to_dict()
    dataset_cfg['data_root'] = str(world)
    dataset = DATASETS.build(dataset_cfg)
    items = [dataset[i] for i in range(len(dataset))]
    return [
        pseudo_collate(items[i : i + batch_size])
        for i in range(0, len(items), batch_size)
    ]
