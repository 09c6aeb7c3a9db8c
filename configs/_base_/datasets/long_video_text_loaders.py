# video_text_loaders.py with 64 frames and 64 words, the release's setting
# for long videos with paragraph queries (ActivityNet Captions; CLIP4Clip's
# for DiDeMo); evaluation batches of 32. Frames as the release's OpenCV
# loader picks them (one per whole second at the integer frame rate, then
# 64 by linspace: LoadVideoFrames index_rule='opencv'), in training too,
# without augmentation (that loader has none), then Pillow's resize and
# centre crop.
_base_ = './video_text_loaders.py'

max_frames = 64
max_words = 64

load_frames = dict(
    type='LoadVideoFrames',
    max_frames=max_frames,
    test_mode=True,
    index_rule='opencv',
)
train_video_pipeline = [load_frames, *_base_.resize_crop]
test_video_pipeline = train_video_pipeline
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
