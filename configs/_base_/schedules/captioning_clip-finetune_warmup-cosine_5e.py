# The CLIP fine-tuning schedule (clip-finetune_warmup-cosine_5e.py: AdamW,
# lr 1e-4 for new modules, x1e-3 for CLIP, warm-up then cosine, 5 epochs)
# with the caption loops instead of the retrieval ones: one item per video,
# captions generated in batches and scored by the dataset's CaptionMetric.
_base_ = './clip-finetune_warmup-cosine_5e.py'

val_cfg = dict(_delete_=True, type='CaptionValLoop')
test_cfg = dict(_delete_=True, type='CaptionTestLoop')
