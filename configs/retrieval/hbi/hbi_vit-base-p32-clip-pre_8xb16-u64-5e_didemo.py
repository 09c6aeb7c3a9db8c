# HBI on DiDeMo (paragraph-to-video, the first 31 s of each video).
# Not a released recipe: the release's README has no DiDeMo command. This
# takes its DiDeMo loader (the OpenCV one, no augmentation), the defaults of
# its main_retrieval.py (global batch 128, 5 epochs, lr 1e-4, CLIP x 1e-3),
# the model and optimiser of the MSR-VTT recipe (./hbi_vit-base-p32-clip-
# pre_8xb16-u12-5e_msrvtt-9k.py, the MSR-VTT estimator as teacher) and
# CLIP4Clip's DiDeMo input sizes, 64 words and 64 frames (the release's
# defaults would be 32 and 12).
_base_ = [
    '../../_base_/models/hbi_vit-base-p32.py',
    '../../_base_/datasets/didemo_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
]
global_batch_size = 128
