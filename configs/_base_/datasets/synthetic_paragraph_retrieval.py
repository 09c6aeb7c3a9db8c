# Paragraph retrieval on the synthetic world's segments files, read by the
# ActivityNet Captions class (same format).
_base_ = './synthetic_video_text_loaders.py'

dataset_type = 'ActivityNetRetrievalDataset'
data_root = 'data/synthetic'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/segments_train.json',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/segments_val.json',
    )
)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/segments_test.json',
    )
)
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
