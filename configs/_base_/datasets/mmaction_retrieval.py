# Retrieval data in mmaction2's format ({"video.mp4": [captions]}), e.g.
# what mmaction2's tools/data/msrvtt scripts write.
# Folder tree: docs/en/data_preparation.md.
_base_ = './video_text_loaders.py'

dataset_type = 'MMActionRetrievalDataset'
data_root = 'data/msrvtt_mmaction'
data_prefix = dict(video='videos_2fps_224')

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='annotations/train_9k.json',
        caption_sampling='one_per_video',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='annotations/test_JSFUSION.json',
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
