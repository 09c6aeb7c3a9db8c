# The built-in synthetic world (tools/data/synthetic), read by the same
# MSR-VTT dataset class as the real benchmark. Frames are 32x32; no flip
# augmentation: captions say "left" and "right".
_base_ = './synthetic_video_text_loaders.py'

dataset_type = 'MSRVTTRetrievalDataset'
data_root = 'data/synthetic'
ann_file = 'annotations/MSRVTT_data.json'

video_pipeline = _base_.cached_video_pipeline
train_video_pipeline = test_video_pipeline = video_pipeline

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='annotations/train_list.csv',
        caption_sampling='one_per_video',
        video_pipeline=video_pipeline,
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='annotations/val_list.csv',
        video_pipeline=video_pipeline,
    )
)
# Test: every caption of the 500 test videos (several captions per video).
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='test',
        video_pipeline=video_pipeline,
    )
)
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
