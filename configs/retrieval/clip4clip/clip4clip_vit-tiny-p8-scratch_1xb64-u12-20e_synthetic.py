# CLIP4Clip meanP with tiny CLIP towers trained from scratch on the
# synthetic world: the demo's baseline, sized for a 2-core CPU.
_base_ = [
    '../../_base_/models/clip4clip-meanp_vit-tiny-p8.py',
    '../../_base_/datasets/synthetic_retrieval.py',
    '../../_base_/schedules/adamw_warmup_cosine_5e.py',
    '../../_base_/default_runtime.py',
]
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
# From scratch: one learning rate for everything.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, bias_decay_mult=0.0,
                       norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0,
         end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=10))
