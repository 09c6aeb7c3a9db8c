"""HBI-v2 and checkpoints: a released (v1) file loads into a v2 model with
the neck initialised and logged; v2 with the neck off is exactly v1."""

import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import hbi.models.retrievers.model_checkpoint as model_checkpoint
from hbi.models.layers import BanzhafEstimator
from hbi.models.retrievers import load_model_checkpoint
from hbi.registry import MODELS
from tests.test_models.test_retrievers.released_layouts import (
    make_released_state_dict,
)
from tests.test_models.test_retrievers.test_released_hbi_checkpoint import (
    SMALL_CFG,
)
from tests.test_tools.fast_config import ROOT

init_default_scope('hbi')
NECK = dict(type='CrossModalReconstruction', num_heads=2)
V1_SYNTHETIC = ROOT / (
    'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
V2_SYNTHETIC = ROOT / (
    'configs/retrieval/hbi_v2/'
    'hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)


def _v2_cfg():
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['head']['reconstruction'] = NECK
    return cfg


def _encode(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    frames = torch.randn(3, 4, 3, 32, 32, generator=g)
    frame_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]])
    ids = torch.randint(1, 49000, (3, 9), generator=g)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 5:] = 0
    ids[:, 0], ids[1, 4] = 49406, 49407
    with torch.no_grad():
        return model.encode_text(ids, mask), model.encode_video(
            frames, frame_mask
        )


def test_released_file_loads_into_v2_with_the_neck_logged(
    tmp_path, monkeypatch
):
    src = tmp_path / 'pytorch_model.bin'
    torch.save(make_released_state_dict(seed=2), src)
    logged = []
    monkeypatch.setattr(
        model_checkpoint,
        'print_log',
        lambda msg, **kwargs: logged.append((msg, kwargs.get('level'))),
    )
    v1 = MODELS.build(copy.deepcopy(SMALL_CFG)).eval()
    load_model_checkpoint(v1, str(src))
    assert not logged
    torch.manual_seed(3)
    v2 = MODELS.build(_v2_cfg()).eval()
    neck_init = copy.deepcopy(v2.head.reconstruction.state_dict())
    assert load_model_checkpoint(v2, str(src)) == 'released_hbi'
    ((message, level),) = logged
    assert 'head.reconstruction' in message and 'initialisation' in message
    assert level is not None and level >= 30  # WARNING
    for key, value in v2.head.reconstruction.state_dict().items():
        assert torch.equal(value, neck_init[key]), key
    # every released weight is in place: v2 retrieves exactly as v1
    for key, value in v1.state_dict().items():
        assert torch.equal(v2.state_dict()[key], value), key
    (t1, vid1), (t2, vid2) = _encode(v1), _encode(v2)
    s1, s2 = v1.similarity(t1, vid1), v2.similarity(t2, vid2)
    for level in s1:
        assert torch.equal(s1[level], s2[level]), level


def test_a_partial_neck_is_an_error(tmp_path):
    model = MODELS.build(_v2_cfg())
    state = model.state_dict()
    state.pop('head.reconstruction.blocks.0.gate.weight')
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError, match='missing keys.*gate.weight'):
        load_model_checkpoint(MODELS.build(_v2_cfg()), str(path))


def _batch(cfg):
    g = torch.Generator().manual_seed(0)
    size, frames, words = cfg.image_size, cfg.max_frames, cfg.max_words
    frame_mask = torch.ones(3, frames, dtype=torch.long)
    frame_mask[1, -3:] = 0
    input_ids = torch.randint(1, 49000, (3, words), generator=g)
    input_ids[:, 0] = 49406
    input_ids[:, -1] = 49407
    return dict(
        frames=torch.randn(3, frames, 3, size, size, generator=g),
        frame_mask=frame_mask,
        input_ids=input_ids,
        attention_mask=torch.ones(3, words, dtype=torch.long),
    )


def test_v2_with_the_neck_off_is_exactly_v1(tmp_path):
    v1_cfg = Config.fromfile(str(V1_SYNTHETIC))
    v2_cfg = Config.fromfile(str(V2_SYNTHETIC))
    assert v2_cfg.model.head.reconstruction.type == 'CrossModalReconstruction'
    v2_cfg.model.head.reconstruction = None
    teacher = tmp_path / 'teacher.pth'
    torch.save(BanzhafEstimator(64).state_dict(), teacher)
    models = []
    for cfg in (v1_cfg, v2_cfg):
        cfg.model.head.teacher_checkpoint = str(teacher)
        torch.manual_seed(0)
        model = MODELS.build(cfg.model.to_dict())
        model.init_weights()
        models.append(model)
    v1, v2 = models
    assert v1.state_dict().keys() == v2.state_dict().keys()
    for key, value in v1.state_dict().items():
        assert torch.equal(v2.state_dict()[key], value), key
    losses = [model.loss(_batch(v1_cfg)) for model in (v1, v2)]
    assert 'loss_banzhaf_entity' in losses[0]
    assert losses[0].keys() == losses[1].keys()
    for key, value in losses[0].items():
        assert torch.equal(losses[1][key], value), key


def test_gradients_of_the_v2_terms_reach_the_neck_and_the_towers(tmp_path):
    """The Banzhaf distillation on reconstructed maps and the
    reconstruction loss alone (no contrastive term) train the neck, the
    text tower and the vision tower."""
    cfg = Config.fromfile(str(V2_SYNTHETIC))
    teacher = tmp_path / 'teacher.pth'
    torch.manual_seed(1)
    torch.save(BanzhafEstimator(64).state_dict(), teacher)
    cfg.model.head.teacher_checkpoint = str(teacher)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model.to_dict())
    model.init_weights()
    losses = model.loss(_batch(cfg))
    terms = [
        v for k, v in losses.items() if 'banzhaf' in k or 'reconstruction' in k
    ]
    assert len(terms) == 6
    sum(terms).backward()
    for part in ('head.reconstruction', 'text_encoder', 'video_encoder'):
        grads = [
            p.grad.abs().sum()
            for name, p in model.named_parameters()
            if name.startswith(part) and p.grad is not None
        ]
        assert grads and sum(grads) > 0, part
