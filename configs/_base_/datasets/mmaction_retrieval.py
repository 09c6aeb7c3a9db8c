# Retrieval data in mmaction2's format ({"video.mp4": [captions]}), e.g.
# what mmaction2's tools/data/msrvtt scripts write.
# Folder tree: docs/en/data_preparation.md.
dataset_type = 'MMActionRetrievalDataset'
data_root = 'data/msrvtt_mmaction'
data_prefix = dict(video='videos_2fps_224')

max_frames = 12
max_words = 32
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
        data_prefix=data_prefix,
        ann_file='annotations/train_9k.json',
        caption_sampling='one_per_video',
        video_pipeline=train_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack),
    **loader)
val_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='annotations/test_JSFUSION.json',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
