# HBI on ActivityNet Captions (paragraph-to-video, val_1 as test), the
# release's ActivityNet recipe (its README's training command): the model
# and optimiser of the MSR-VTT recipe (./hbi_vit-base-p32-clip-pre_8xb16-
# u12-5e_msrvtt-9k.py, the MSR-VTT estimator as teacher) with 64 words and
# 64 frames (one per second at the integer frame rate, as the release's
# OpenCV loader; no augmentation, as that loader has none), global batch
# 128 (8 GPUs x 16 in the README) and 10 epochs. Merged levels: 64 -> 16 ->
# 8 tokens for text and video. Deviations: those of the MSR-VTT recipe, and
# frames are decoded with decord at the indices OpenCV's seeking would read.
_base_ = [
    '../../_base_/models/hbi_vit-base-p32.py',
    '../../_base_/datasets/activitynet_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
]
global_batch_size = 128
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
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
