"""Every dataset config of configs/_base_/datasets builds; the synthetic
ones load the generator's files and give packed items."""

from pathlib import Path

import pytest
from mmengine.config import Config

from hbi.registry import DATASETS

CONFIG_DIR = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'
NEW_CONFIGS = [
    'activitynet_retrieval.py',
    'didemo_retrieval.py',
    'lsmdc_retrieval.py',
    'mmaction_retrieval.py',
    'msrvtt_caption.py',
    'msrvtt_full_test_retrieval.py',
    'msrvtt_qa.py',
    'msvd_caption.py',
    'msvd_qa.py',
    'msvd_retrieval.py',
    'synthetic_caption.py',
    'synthetic_paragraph_retrieval.py',
    'synthetic_qa.py',
]
SPLITS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.mark.parametrize('name', NEW_CONFIGS)
def test_config_builds_lazily(name, tmp_path):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    for split in SPLITS:
        dataset_cfg = cfg[split]['dataset'].to_dict()
        dataset_cfg.update(data_root=str(tmp_path), lazy_init=True)
        dataset = DATASETS.build(dataset_cfg)
        assert type(dataset).__name__ == cfg[split]['dataset']['type']
        assert dataset.test_mode == (split != 'train_dataloader')


def test_full_test_config_uses_the_test_split():
    cfg = Config.fromfile(str(CONFIG_DIR / 'msrvtt_full_test_retrieval.py'))
    dataset = cfg.test_dataloader.dataset
    assert (dataset.split, dataset.list_file) == ('test', '')
    assert dataset.ann_file == 'annotations/MSRVTT_data.json'


@pytest.mark.parametrize(
    'name, expected_keys',
    [
        ('synthetic_qa.py', {'gt_answer'}),
        ('synthetic_caption.py', {'gt_captions'}),
        ('synthetic_paragraph_retrieval.py', set()),
    ],
)
def test_synthetic_configs_load_the_world(
    name, expected_keys, synthetic_world
):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    dataset_cfg = cfg.test_dataloader.dataset.to_dict()
    dataset_cfg['data_root'] = str(synthetic_world)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) > 0 and dataset.missing_video_ids == []
    item = dataset[0]
    sample = item['data_samples']
    assert set(sample.keys()) == expected_keys
    assert item['inputs']['frames'].shape[1:] == (3, 32, 32)
    if 'gt_answer' in expected_keys:
        assert sample.answer == dataset.texts[0]['answer']
