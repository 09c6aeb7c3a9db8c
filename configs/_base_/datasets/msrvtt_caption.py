# MSR-VTT captioning (splits of MSRVTT_data.json: 6,513 / 497 / 2,990 videos).
# Training: every (video, caption) pair; evaluation: one item per video
# ('video' modality) whose data sample carries gt_captions (all references).
dataset_type = 'MSRVTTCaptionDataset'
data_root = 'data/msrvtt'
ann_file = 'annotations/MSRVTT_data.json'

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
        ann_file=ann_file,
        split='train',
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
        split='validate',
        modality='video',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
test_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='test',
        modality='video',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
# No captioning model or metric exists yet (planned: BLEU-4, METEOR,
# ROUGE-L, CIDEr through pycocoevalcap, reading gt_captions); a captioning
# config must set val_evaluator and test_evaluator.
