# The built-in synthetic world (tools/data/synthetic), read by the same
# MSR-VTT dataset class as the real benchmark. Frames are 32x32; no flip
# augmentation: captions say "left" and "right".
dataset_type = 'MSRVTTRetrievalDataset'
data_root = 'data/synthetic'
ann_file = 'annotations/MSRVTT_data.json'
max_frames = 12
max_words = 32
image_size = 32

# A1's deterministic frame indices in training too (as the release does),
# so decoded frames are cached on disk after the first epoch: decoding costs
# more than the tiny model on this world.
video_pipeline = [
    dict(type='FrameCache',  # cache in videos/.frame_cache
         loader=dict(type='LoadVideoFrames', max_frames=max_frames,
                     test_mode=True)),
    dict(type='mmaction.Resize', scale=(-1, image_size),
         interpolation='bicubic'),
    dict(type='mmaction.CenterCrop', crop_size=image_size),
]
train_video_pipeline = test_video_pipeline = video_pipeline
text_pipeline = [dict(type='TokenizeText', max_length=max_words)]
pack = dict(type='PackVideoTextInputs', max_frames=max_frames)

loader = dict(
    num_workers=2,
    persistent_workers=False,
    worker_init_fn=dict(type='hbi_seed_worker_from_loader'))
train_dataloader = dict(
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='annotations/train_list.csv',
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
        ann_file=ann_file,
        list_file='annotations/val_list.csv',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
# Test: every caption of the 500 test videos (several captions per video).
test_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='test',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
