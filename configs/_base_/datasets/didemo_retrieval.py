# DiDeMo paragraph-to-video retrieval (CLIP4Clip's json files): every moment
# description of a video joined into one paragraph; 64 frames, 64 words.
# clip_end=31 reads the first 31 s as CLIP4Clip does (annotators saw 30 s).
# Folder tree: docs/en/data_preparation.md.
_base_ = './long_video_text_loaders.py'

dataset_type = 'DiDeMoRetrievalDataset'
data_root = 'data/didemo'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        clip_end=31.0,
        ann_file='train_data.json',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        clip_end=31.0,
        ann_file='test_data.json',
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
