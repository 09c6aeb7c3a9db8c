# Banzhaf estimator (teacher, docs/en/methods/hbi.md A7) for HBI on MSR-VTT, the
# release's estimator recipe (its README's command): MSE against
# Monte-Carlo Banzhaf labels of the entity level (A8: 100 samples per pair,
# A scaled by 1000), with OpenAI CLIP ViT-B/32 and the rest of the HBI model
# frozen (towers from `clip_file`, seqTransf copied from CLIP's text tower,
# the head's weight heads at their initialisation; the head's own teacher is
# off). Only the estimator trains: lr 1e-2, weight decay 0.2 except biases,
# 10% warm-up then the release's cosine, grad-norm clip 1.0, global batch
# 128 (the README runs 4 GPUs x 32), 10 epochs, 24 words, 12 frames.
# Deviation: AdamW with bias correction (the release's BertAdam has none).
#
#   python tools/train.py configs/banzhaf_estimator_msrvtt.py
#   python tools/model_converters/export_banzhaf_estimator.py \
#       work_dirs/<this config>/best_banzhaf_mse_epoch_*.pth \
#       checkpoints/hbi/estimator_msrvtt.pth
#
# The exported file is what configs/_base_/models/hbi_vit-base-p32.py loads
# as `estimator_file` (the release's own is Estimator_1e-2_epoch6). Frames
# are the deterministic A1 frames in training too, without augmentation, so
# a pair's Monte-Carlo labels are computed once and cached on disk
# (label_cache_dir) for all epochs. Validation: one caption per video of the
# official 'validate' split (inside the 9k list; see the dataset config).
_base_ = [
    '../_base_/models/hbi_vit-base-p32.py',
    '../_base_/datasets/msrvtt-9k_retrieval.py',
    '../_base_/default_runtime.py',
]

retriever = dict(
    _base_.model, head=dict(_base_.model.head, teacher_checkpoint=None)
)
model = dict(
    _delete_=True,
    type='BanzhafEstimatorTrainer',
    retriever=retriever,
    retriever_checkpoint=None,
    estimator_channels=64,
    num_samples=100,
    scale=1000.0,
    seed=0,
    label_cache_dir='work_dirs/banzhaf_label_cache/msrvtt',
    label_dtype='float32',
)

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
global_batch_size = 128
train_dataloader = dict(
    dataset=dict(video_pipeline={{_base_.test_video_pipeline}}, pack=pack),
)
val_dataloader = dict(
    dataset=dict(modality='pair', caption_sampling='one_per_video', pack=pack)
)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='BanzhafEstimatorMetric')
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-2, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2
    ),
    paramwise_cfg=dict(bias_decay_mult=0.0),
    clip_grad=dict(max_norm=1.0),
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
default_hooks = dict(checkpoint=dict(save_best='banzhaf/mse', rule='less'))
custom_hooks = [dict(type='EpochSeedingHook')]
