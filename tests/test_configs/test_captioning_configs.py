"""Every captioning config: its parts resolve, the model builds (full-size
ones on the meta device) and the tiny one trains and captions a batch; no
retrieval-only setting is inherited."""

import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import hbi.engine  # noqa: F401
import hbi.evaluation  # noqa: F401
from hbi.registry import DATASETS, HOOKS, LOOPS, METRICS, MODELS, TRANSFORMS
from hbi.structures import VideoTextDataSample
from hbi.utils.pretrained_files import weights_from_checkpoint

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / 'configs' / 'captioning').rglob('*.py'))
init_default_scope('hbi')


def _ids(paths):
    return [p.name for p in paths]


def test_there_are_captioning_configs():
    assert {p.name for p in CONFIGS} >= {
        'hbi-v2_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt.py',
        'hbi-v2_vit-base-p32-clip-pre_8xb16-u12-5e_msvd.py',
        'hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py',
        'hbi-v2_vit-tiny-p8-hbi-pre_1xb64-u12-4e_synthetic.py',
    }


@pytest.mark.parametrize('path', CONFIGS, ids=_ids(CONFIGS))
def test_no_retrieval_only_settings(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_hooks.checkpoint.save_best == 'caption/CIDEr'
    assert (cfg.val_cfg.type, cfg.test_cfg.type) == (
        'CaptionValLoop',
        'CaptionTestLoop',
    )
    assert dict(cfg.val_cfg) == dict(type='CaptionValLoop')
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'CaptionMetric'
    for split in ('val_dataloader', 'test_dataloader'):
        assert cfg[split].dataset.modality == 'video'
    train = cfg.train_dataloader.dataset
    assert [t.type for t in train.text_pipeline] == [
        'TokenizeText',
        'TokenizeCaptionForDecoder',
    ]
    assert set(cfg.model.task_heads) == {'caption'}
    names = [(MODELS, cfg.model.type), (LOOPS, cfg.test_cfg.type)]
    names += [(METRICS, cfg.test_evaluator.type)]
    names += [(HOOKS, h.type) for h in cfg.custom_hooks]
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[split].dataset
        names.append((DATASETS, dataset.type))
        transforms = [*dataset.video_pipeline, *dataset.text_pipeline]
        names += [(TRANSFORMS, t.type) for t in [*transforms, dataset.pack]]
    for registry, name in names:
        assert registry.get(name) is not None, name


def _strip(model_cfg):
    model_cfg = copy.deepcopy(model_cfg)
    for tower in ('text_encoder', 'video_encoder'):
        model_cfg[tower]['pretrained'] = None
    model_cfg['head']['teacher_checkpoint'] = None
    model_cfg['retriever_checkpoint'] = None
    return model_cfg


@pytest.mark.parametrize('path', CONFIGS, ids=_ids(CONFIGS))
def test_model_builds_trains_and_captions(path):
    cfg = Config.fromfile(str(path))
    if str(cfg.model.text_encoder.arch).startswith('ViT'):
        # As for a checkpoint: the CLIP and teacher files are not read.
        with torch.device('meta'), weights_from_checkpoint():
            model = MODELS.build(cfg.model)
        assert model.decoder.width == 512
        assert len(model.decoder.lm.bert.encoder.layer) == 3
        assert model.decoder.lm.token_table is model.text_token_embedding
        return
    torch.manual_seed(0)
    model = MODELS.build(_strip(cfg.model))
    model.init_weights()
    size, frames_n = cfg.image_size, cfg.max_frames
    length = cfg.caption_length
    ids = torch.full((2, length), 0)
    ids[:, :4] = torch.tensor([49406, 320, 1929, 49407])
    mask = (torch.arange(length) < 4).long().expand(2, -1)
    data = dict(
        inputs=dict(
            frames=torch.randint(
                0, 256, (2, frames_n, 3, size, size), dtype=torch.uint8
            ),
            frame_mask=torch.ones(2, frames_n, dtype=torch.long),
            input_ids=ids,
            attention_mask=mask,
            caption_input_ids=ids[:, :-1],
            caption_target_ids=ids[:, 1:],
            caption_mask=mask[:, 1:],
        ),
        data_samples=[VideoTextDataSample() for _ in range(2)],
    )
    model.train()
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    assert 'loss_caption' in losses and 'loss_contrastive_entity' in losses
    sum(losses.values()).backward()
    model.eval()
    video_only = dict(
        inputs={k: data['inputs'][k] for k in ('frames', 'frame_mask')},
        data_samples=data['data_samples'],
    )
    with torch.no_grad():
        out = model(**model.data_preprocessor(video_only), mode='predict')
    assert all(isinstance(s.pred_caption, str) for s in out)
