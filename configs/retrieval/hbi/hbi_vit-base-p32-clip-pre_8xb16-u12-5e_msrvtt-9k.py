# HBI, released MSR-VTT setting: ViT-B/32 from OpenAI CLIP, 12 frames
# (uniform, 1 fps), 32 words, 3 levels, rate (1, 0, 0), skl 1, kl 2,
# global batch 128 (8 GPUs x 16; tools/train.py derives the per-GPU batch
# from global_batch_size for any GPU count), 5 epochs, lr 1e-4 (CLIP x1e-3).
_base_ = [
    '../../_base_/models/hbi_vit-base-p32.py',
    '../../_base_/datasets/msrvtt-9k_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
]
global_batch_size = 128
