# Training tiny towers from scratch on the synthetic world: the release's
# optimiser and warm-up cosine schedule (clip-finetune_warmup-cosine_5e.py)
# at lr 1e-3 for every parameter (nothing is pretrained), weight decay
# 0.05 except on norm layers, 8 epochs, validation at the end.
_base_ = './clip-finetune_warmup-cosine_5e.py'

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
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
