# The encoder-decoder answer heads on MSRVTT-QA, with the released QA
# recipe's data and schedule (12 frames, 32 words, ViT-B/16, global batch
# 32, 5 epochs, lr 1e-4, CLIP x1e-3). Scored by the classifier head; the
# generated answers with --cfg-options test_cfg.answer_from=text.
_base_ = [
    '../../_base_/models/hbi-encdec-qa_vit-base-p16.py',
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
