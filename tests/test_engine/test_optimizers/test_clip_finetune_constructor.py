"""The release's four parameter groups (CLIP x1e-3, no decay on biases and
norms) and the frozen teacher/estimators left out."""

import pytest
from mmengine.registry import init_default_scope

from hbi.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

init_default_scope('hbi')
ARCH = dict(
    base='tiny',
    embed_dim=16,
    vision=dict(width=16, layers=1, heads=2),
    text=dict(width=16, layers=1, heads=2),
)


def build(paramwise_cfg=None):
    model = MODELS.build(
        dict(
            type='VideoTextRetriever',
            text_encoder=dict(type='CLIPTextTower', arch=ARCH),
            video_encoder=dict(type='CLIPVisionTower', arch=ARCH),
            temporal=dict(
                type='TemporalTransformer', width=16, num_layers=1, num_heads=2
            ),
            head=dict(type='HierarchicalBanzhafHead', embed_dim=16),
        )
    )
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='CLIPFinetuneOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                optimizer=dict(
                    type='AdamW',
                    lr=1e-4,
                    betas=(0.9, 0.98),
                    eps=1e-6,
                    weight_decay=0.2,
                )
            ),
            paramwise_cfg=paramwise_cfg or {},
        )
    )
    return model, constructor(model).optimizer


def group_of(optimizer, param):
    found = [
        g
        for g in optimizer.param_groups
        if any(p is param for p in g['params'])
    ]
    return found[0] if found else None


def test_groups():
    model, optimizer = build()
    assert len(optimizer.param_groups) == 4
    text = model.text_encoder.text_model
    cases = [
        (text.encoder.layers[0].self_attn.q_proj.weight, 1e-7, 0.2),
        (text.encoder.layers[0].self_attn.q_proj.bias, 1e-7, 0.0),
        (text.final_layer_norm.weight, 1e-7, 0.0),
        (model.logit_scale, 1e-7, 0.2),  # the release's clip.logit_scale
        (model.temporal.layers[0].layer_norm1.weight, 1e-4, 0.0),
        (model.temporal.frame_position_embeddings.weight, 1e-4, 0.2),
        (model.head.text_merges[0].norm.bias, 1e-4, 0.0),
        (model.head.text_weight_heads[0][0].weight, 1e-4, 0.2),
    ]
    for param, lr, decay in cases:
        group = group_of(optimizer, param)
        assert group['lr'] == pytest.approx(lr)
        assert group['weight_decay'] == decay
    # frozen teacher and (no teacher) frozen estimators are left out
    assert group_of(optimizer, model.head.teacher.Q) is None
    assert group_of(optimizer, model.head.banzhaf_estimators[0].Q) is None
    total = sum(len(g['params']) for g in optimizer.param_groups)
    assert total == sum(1 for p in model.parameters() if p.requires_grad)


def test_unknown_key_is_an_error():
    with pytest.raises(ValueError, match='unknown paramwise_cfg keys'):
        build(dict(bias_decay_mult=0.0))
