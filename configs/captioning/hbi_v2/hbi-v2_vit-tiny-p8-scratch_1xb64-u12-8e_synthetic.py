# The HBI encoder-decoder on the synthetic world, trained from scratch on a
# CPU (make demo's captioning row): tiny towers, one random caption per
# video per epoch (2,000 pairs), retrieval losses on, 8 epochs at lr 1e-3
# (every parameter, as the demo's retrieval configs); evaluation once at
# the end, on the 200 validation videos (CIDEr picks the checkpoint) and
# the 500 test videos (5 references each), beam 3. The decoder scores only
# the 58 tokens of the training captions (CaptionVocabularyHook): scoring all
# 49,408 would cost more than the rest of the training step on a CPU.
_base_ = [
    '../../_base_/models/hbi-v2-caption_vit-tiny-p8.py',
    '../../_base_/datasets/synthetic_caption.py',
    '../../_base_/schedules/captioning_clip-finetune_warmup-cosine_5e.py',
    '../../_base_/captioning_runtime.py',
]
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(clip_lr_mult=1.0),
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
custom_hooks = [
    dict(type='EpochSeedingHook'),
    dict(type='LogitScaleClampHook'),
    dict(type='CaptionVocabularyHook'),
]
