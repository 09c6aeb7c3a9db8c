# ActivityNet Captions paragraph-to-video retrieval: each video's sentences
# joined into one paragraph (CLIP4Clip: 64 frames, 64 words); val_1 is the
# test set. Folder tree: docs/en/data_preparation.md.
dataset_type = 'ActivityNetRetrievalDataset'
data_root = 'data/activitynet'

max_frames = 64
max_words = 64
image_size = 224

train_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=False),
    dict(type='mmaction.Resize', scale=(-1, image_size),
         interpolation='bicubic'),
    dict(type='mmaction.CenterCrop', crop_size=image_size),
]
test_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=True),
    dict(type='mmaction.Resize', scale=(-1, image_size),
         interpolation='bicubic'),
    dict(type='mmaction.CenterCrop', crop_size=image_size),
]
text_pipeline = [dict(type='TokenizeText', max_length=max_words)]
pack = dict(type='PackVideoTextInputs', max_frames=max_frames)

loader = dict(
    num_workers=8,
    persistent_workers=False,
    worker_init_fn=dict(type='hbi_seed_worker_from_loader'))
train_dataloader = dict(
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        strip_id_prefix='v_',
        ann_file='annotations/train.json',
        video_pipeline=train_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack),
    **loader)
val_dataloader = dict(
    batch_size=32,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        strip_id_prefix='v_',
        ann_file='annotations/val_1.json',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
