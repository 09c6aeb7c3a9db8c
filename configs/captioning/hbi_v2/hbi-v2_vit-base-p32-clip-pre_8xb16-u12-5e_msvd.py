# HBI encoder-decoder captioning on MSVD (1,200 / 100 / 670 videos, about 40
# captions each; every caption a training pair), otherwise as the MSR-VTT
# config: ViT-B/32 from OpenAI CLIP, 12 frames, beam 3, global batch 128,
# 5 epochs, best checkpoint by validation CIDEr.
_base_ = [
    '../../_base_/models/hbi-v2-caption_vit-base-p32.py',
    '../../_base_/datasets/msvd_caption.py',
    '../../_base_/schedules/captioning_clip-finetune_warmup-cosine_5e.py',
    '../../_base_/captioning_runtime.py',
]
global_batch_size = 128
train_dataloader = dict(batch_size=16, persistent_workers=True)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
