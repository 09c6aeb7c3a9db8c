# The released HBI MSRVTT-QA recipe (its README command): ViT-B/16 from
# OpenAI CLIP, 12 frames (uniform, 1 fps), 32 words, 1,500 answers, global
# batch 32 (2 GPUs x 16; tools/train.py derives the per-GPU batch from
# global_batch_size for any GPU count), 5 epochs, lr 1e-4 (CLIP x1e-3),
# kl 0.2 (the release's default; its README training command passes
# --kl 2: --cfg-options model.answer_head.kl=2.0), skl 1. The best epoch is
# chosen on val.jsonl (qa/acc); the release validated on test.jsonl.
_base_ = [
    '../../_base_/models/hbi-qa_vit-base-p16.py',
    '../../_base_/datasets/msrvtt_qa.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/videoqa_runtime.py',
]
global_batch_size = 32
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = val_dataloader
val_cfg = dict(_delete_=True, type='VideoQAValLoop')
test_cfg = dict(_delete_=True, type='VideoQATestLoop')
