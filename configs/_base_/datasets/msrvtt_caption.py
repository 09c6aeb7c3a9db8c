# MSR-VTT captioning (splits of MSRVTT_data.json: 6,513 / 497 / 2,990 videos,
# 20 captions each). Training: every (video, caption) pair, the caption as
# retrieval input and as decoder input/target; evaluation: one item per
# video ('video' modality) whose data sample carries gt_captions (all 20
# references), scored by CaptionMetric (BLEU-1..4, METEOR, ROUGE-L, CIDEr).
_base_ = ['./video_text_loaders.py', './caption_inputs.py']

dataset_type = 'MSRVTTCaptionDataset'
data_root = 'data/msrvtt'
ann_file = 'annotations/MSRVTT_data.json'

text_pipeline = [*_base_.text_pipeline, _base_.caption_transform]
pack = dict(
    _base_.pack,
    text_keys=('input_ids', 'attention_mask', *_base_.caption_keys),
)
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='train',
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='validate',
        modality='video',
        pack=pack,
    )
)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='test',
        modality='video',
        pack=pack,
    )
)
val_evaluator = dict(type='CaptionMetric')
test_evaluator = val_evaluator
