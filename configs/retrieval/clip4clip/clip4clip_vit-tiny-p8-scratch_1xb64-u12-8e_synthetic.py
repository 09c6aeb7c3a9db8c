# CLIP4Clip meanP with tiny CLIP towers trained from scratch on the
# synthetic world: the demo's baseline, sized for a 2-core CPU.
_base_ = [
    '../../_base_/models/clip4clip-meanp_vit-tiny-p8.py',
    '../../_base_/datasets/synthetic_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
]
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# From scratch: every parameter at the same learning rate, and norm layers
# not decayed.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(clip_lr_mult=1.0, no_decay_norm=True),
)
param_scheduler = [
    dict(
        type='WarmupCosineLR',
        warmup=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(logger=dict(interval=10))
