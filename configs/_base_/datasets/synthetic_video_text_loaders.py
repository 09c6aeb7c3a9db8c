# video_text_loaders.py for the built-in synthetic world
# (tools/data/synthetic): 32x32 frames, 2 loader workers.
_base_ = './video_text_loaders.py'

image_size = 32

resize_crop = [
    dict(
        type='mmaction.Resize', scale=(-1, image_size), interpolation='bicubic'
    ),
    dict(type='mmaction.CenterCrop', crop_size=image_size),
]
# The base's frame loading, then the 32 px resize and crop.
train_video_pipeline = [_base_.train_video_pipeline[0], *resize_crop]
test_video_pipeline = [_base_.test_video_pipeline[0], *resize_crop]
# A1's deterministic frame indices in training too (as the release does),
# so decoded frames are cached on disk after the first epoch: decoding costs
# more than the tiny model on this world. The dataset configs use it.
cached_video_pipeline = [
    dict(
        # cache_dir: $HBI_FRAME_CACHE_DIR or ~/.cache/hbi/frame_cache
        type='FrameCache',
        loader=dict(
            type='LoadVideoFrames',
            max_frames=_base_.max_frames,
            test_mode=True,
        ),
    ),
    *resize_crop,
]

loader = dict(num_workers=2)
train_dataloader = dict(
    dataset=dict(video_pipeline=train_video_pipeline), **loader
)
val_dataloader = dict(
    dataset=dict(video_pipeline=test_video_pipeline), **loader
)
test_dataloader = val_dataloader
