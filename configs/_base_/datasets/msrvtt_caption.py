# MSR-VTT captioning (splits of MSRVTT_data.json: 6,513 / 497 / 2,990 videos).
# Training: every (video, caption) pair; evaluation: one item per video
# ('video' modality) whose data sample carries gt_captions (all references).
_base_ = './video_text_loaders.py'

dataset_type = 'MSRVTTCaptionDataset'
data_root = 'data/msrvtt'
ann_file = 'annotations/MSRVTT_data.json'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='train',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='validate',
        modality='video',
    )
)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='test',
        modality='video',
    )
)
# No captioning model or metric exists yet (planned: BLEU-4, METEOR,
# ROUGE-L, CIDEr through pycocoevalcap, reading gt_captions); a captioning
# config must set val_evaluator and test_evaluator.
