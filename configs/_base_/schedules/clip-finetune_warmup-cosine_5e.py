# The release's optimisation (docs/en/methods/hbi.md A9, CLIP4Clip's BertAdam
# setup): AdamW (0.9, 0.98), eps 1e-6 (BertAdam has no bias correction: a
# deviation), weight decay 0.2 on every parameter but biases (the release
# means to spare LayerNorms too, but its no-decay names, 'LayerNorm.weight',
# match none of CLIP's ln_* or the head's norms: no_decay_norm=False
# reproduces that), lr 1e-4 for new modules and x1e-3 for CLIP (towers and
# logit_scale, the release's clip.*), warm-up over 10% of all steps then
# cosine over the whole schedule (WarmupCosineLR, stepped every
# iteration), gradient-norm clipping 1.0.
max_epochs = 5
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1
)
val_cfg = dict(type='RetrievalValLoop')
test_cfg = dict(type='RetrievalTestLoop')

optim_wrapper = dict(
    constructor='CLIPFinetuneOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2
    ),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(
        clip_keys=('text_encoder.', 'video_encoder.', 'logit_scale'),
        clip_lr_mult=1e-3,
        no_decay_norm=False,
    ),
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
