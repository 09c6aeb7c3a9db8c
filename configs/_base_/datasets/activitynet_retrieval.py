# ActivityNet Captions paragraph-to-video retrieval: each video's sentences
# joined into one paragraph (CLIP4Clip: 64 frames, 64 words); val_1 is the
# test set. Folder tree: docs/en/data_preparation.md.
_base_ = './long_video_text_loaders.py'

dataset_type = 'ActivityNetRetrievalDataset'
data_root = 'data/activitynet'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        strip_id_prefix='v_',
        ann_file='annotations/train.json',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        strip_id_prefix='v_',
        ann_file='annotations/val_1.json',
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
