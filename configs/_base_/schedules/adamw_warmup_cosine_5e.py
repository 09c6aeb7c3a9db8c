# HBI / CLIP4Clip optimisation (hbi_method.md A9): AdamW, 10% linear
# warm-up then cosine, gradient clipping, weight decay off for biases and
# norms, CLIP's own parameters at lr x 1e-3.
max_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=1)
val_cfg = dict(type='RetrievalValLoop')
test_cfg = dict(type='RetrievalTestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.98), eps=1e-6,
                   weight_decay=0.2),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(
        bias_decay_mult=0.0,
        norm_decay_mult=0.0,
        custom_keys={
            'text_encoder': dict(lr_mult=1e-3),
            'video_encoder': dict(lr_mult=1e-3),
        }))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=0.1 * max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0.1 * max_epochs,
         end=max_epochs, eta_min=0.0, convert_to_iter_based=True),
]
