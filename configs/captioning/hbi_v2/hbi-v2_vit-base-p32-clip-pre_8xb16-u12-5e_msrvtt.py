# HBI encoder-decoder captioning on MSR-VTT (train 6,513 videos x 20
# captions, best checkpoint by validation CIDEr on 497 videos, test on 2,990
# videos x 20 references). ViT-B/32 from OpenAI CLIP, 12 frames, 32 words
# for retrieval, 32 decoder tokens for training, beam 3 up to 20 tokens at
# test; global batch 128, 5 epochs, lr 1e-4 (CLIP x1e-3: the shared token
# table learns at CLIP's rate). The retrieval losses stay on (weight 1).
_base_ = [
    '../../_base_/models/hbi-v2-caption_vit-base-p32.py',
    '../../_base_/datasets/msrvtt_caption.py',
    '../../_base_/schedules/captioning_clip-finetune_warmup-cosine_5e.py',
    '../../_base_/captioning_runtime.py',
]
global_batch_size = 128
train_dataloader = dict(batch_size=16, persistent_workers=True)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
