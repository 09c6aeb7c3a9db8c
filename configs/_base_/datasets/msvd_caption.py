# MSVD captioning: the captions (raw-captions.pkl, about 40 per video) and
# splits (1,200 / 100 / 670 videos) of the MSVD retrieval files. Training:
# every (video, caption) pair; evaluation: one item per video with all its
# references (gt_captions). Folder tree: docs/en/data_preparation.md.
_base_ = ['./video_text_loaders.py', './caption_inputs.py']

dataset_type = 'MSVDCaptionDataset'
data_root = 'data/msvd'
ann_file = 'raw-captions.pkl'
data_prefix = dict(video='YouTubeClips')

text_pipeline = [*_base_.text_pipeline, _base_.caption_transform]
pack = dict(
    _base_.pack,
    text_keys=('input_ids', 'attention_mask', *_base_.caption_keys),
)
data = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=ann_file,
    data_prefix=data_prefix,
    pack=pack,
)
train_dataloader = dict(
    dataset=dict(
        **data, list_file='train_list.txt', text_pipeline=text_pipeline
    )
)
val_dataloader = dict(
    dataset=dict(**data, list_file='val_list.txt', modality='video')
)
test_dataloader = dict(
    dataset=dict(**data, list_file='test_list.txt', modality='video')
)
val_evaluator = dict(type='CaptionMetric')
test_evaluator = val_evaluator
