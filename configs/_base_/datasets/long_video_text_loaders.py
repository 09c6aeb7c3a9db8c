# video_text_loaders.py with 64 frames and 64 words, CLIP4Clip's setting
# for long videos with paragraph queries (ActivityNet Captions, DiDeMo);
# evaluation batches of 32.
_base_ = './video_text_loaders.py'

max_frames = 64
max_words = 64

train_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=False),
    *_base_.resize_crop,
]
test_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=True),
    *_base_.resize_crop,
]
text_pipeline = [dict(type='TokenizeText', max_length=max_words)]
pack = dict(max_frames=max_frames)

train_dataloader = dict(
    dataset=dict(
        video_pipeline=train_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
val_dataloader = dict(
    batch_size=32,
    dataset=dict(
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
    ),
)
test_dataloader = val_dataloader
