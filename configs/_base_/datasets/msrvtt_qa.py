# MSRVTT-QA open-ended video QA (1,500-answer vocabulary from training).
# Items: the question is the caption (tokenised by text_pipeline); the data
# sample carries gt_answer (-1 for an answer outside the vocabulary: wrong at
# test time). Training leaves such questions out. See docs/en/data_preparation.md.
dataset_type = 'VideoQADataset'
data_root = 'data/msrvtt'
data_prefix = dict(video='videos')
ans2label_file = 'annotations/qa/train_ans2label.json'

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
pack = dict(
    type='PackVideoTextInputs',
    max_frames=max_frames,
    meta_keys=('video_id', 'video_index', 'text_index', 'caption', 'answer',
               'answer_type', 'num_frames'))

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
        ans2label_file=ans2label_file,
        ann_file='annotations/qa/train.jsonl',
        drop_unknown_answers=True,
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
        ans2label_file=ans2label_file,
        ann_file='annotations/qa/val.jsonl',
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
        data_prefix=data_prefix,
        ans2label_file=ans2label_file,
        ann_file='annotations/qa/test.jsonl',
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True),
    **loader)
# Answers outside the vocabulary (gt_answer=-1) count as wrong.
val_evaluator = dict(type='VideoQAAccuracy')
test_evaluator = val_evaluator
