# Banzhaf estimator (teacher, docs/en/methods/hbi.md A7) on the synthetic world: MSE
# against Monte-Carlo Banzhaf labels (A8: entity level, 100 samples per pair,
# A scaled by 1000, as released) of a FROZEN retriever, the demo's CLIP4Clip
# tiny model (its config is read from the demo config below, so the tiny arch
# matches). Give the frozen retriever's weights on the command line:
#
#   python tools/train.py configs/banzhaf/banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py \
#       --cfg-options model.retriever_checkpoint=work_dirs/clip4clip_synthetic/epoch_20.pth
#   python tools/model_converters/export_banzhaf_estimator.py \
#       work_dirs/<this config>/best_banzhaf_mse_epoch_*.pth checkpoints/estimator_synthetic.pth
#
# then train HBI with head.teacher_checkpoint=checkpoints/estimator_synthetic.pth.
# A meanP head has no token weights: the game is played with uniform word and
# frame weights (BanzhafEstimatorTrainer's docstring). Labels are cached on
# disk (label_cache_dir), keyed by pair, frames, caption, the frozen weights'
# fingerprint and the game settings, so later epochs and runs reuse them.
_base_ = [
    '../retrieval/clip4clip/clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
]

model = dict(
    _delete_=True,
    type='BanzhafEstimatorTrainer',
    retriever={{_base_.model}},
    retriever_checkpoint=None,
    estimator_channels=64,
    num_samples=100,
    scale=1000.0,
    seed=0,
    label_cache_dir='work_dirs/banzhaf_label_cache/synthetic',
    label_dtype='float32',
)

# frame_inds is part of every label's cache key.
pack = dict(
    type='PackVideoTextInputs',
    max_frames={{_base_.max_frames}},
    meta_keys=(
        'video_id',
        'video_index',
        'text_index',
        'caption',
        'num_frames',
        'frame_inds',
    ),
)
train_dataloader = dict(dataset=dict(pack=pack))
# Held-out pairs: one caption per validation video (200 pairs).
val_dataloader = dict(
    batch_size=64,
    dataset=dict(modality='pair', caption_sampling='one_per_video', pack=pack),
)
test_dataloader = dict(
    batch_size=64,
    dataset=dict(modality='pair', caption_sampling='one_per_video', pack=pack),
)
val_evaluator = dict(_delete_=True, type='BanzhafEstimatorMetric')
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1
)
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.0
    ),
    clip_grad=dict(max_norm=1.0),
)
# Linear warm-up over the first 10% of the epochs (one of ten), then cosine:
# both computed from max_epochs, so `--cfg-options max_epochs=N` moves them.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=0.1 * max_epochs,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0.1 * max_epochs,
        end=max_epochs,
        eta_min=1e-5,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(checkpoint=dict(save_best='banzhaf/mse', rule='less'))
# No logit_scale here: only the epoch seeding hook.
custom_hooks = [dict(type='EpochSeedingHook')]
