# Video/text loading shared by every dataset config in this folder: frame
# loading, CLIP's preprocessing, tokenisation, packing, loader settings and
# the three dataloaders, without any dataset. A dataset config `_base_`s this
# file (or one of the variants below) and states only what is its own:
# dataset type, data_root, annotation / list files, split and other dataset
# arguments in each dataloader's `dataset`, and the evaluators.
#
# mmengine merges a child's dicts into these and replaces lists; the
# variables below are substituted when this file is parsed, so a config with
# other sizes restates the pipelines it changes and sets them in the
# dataloaders, as long_video_text_loaders.py (64 frames, 64 words) and
# synthetic_video_text_loaders.py (32 px) do.
max_frames = 12
max_words = 32
image_size = 224

# CLIP's preprocessing as the release computes it (torchvision on PIL
# images): shorter side to image_size with Pillow's antialiased bicubic,
# centre crop with torchvision's offsets. (mmaction.Resize's OpenCV bicubic
# does not antialias; docs/en/methods/hbi.md, "Where hbi deviates".)
resize_crop = [dict(type='PILResizeCenterCrop', size=image_size)]
train_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=False),
    *resize_crop,
]
test_video_pipeline = [
    dict(type='LoadVideoFrames', max_frames=max_frames, test_mode=True),
    *resize_crop,
]
text_pipeline = [dict(type='TokenizeText', max_length=max_words)]
pack = dict(type='PackVideoTextInputs', max_frames=max_frames)

loader = dict(
    num_workers=8,
    persistent_workers=False,
    worker_init_fn=dict(type='hbi_seed_worker_from_loader'),
)
train_dataloader = dict(
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        video_pipeline=train_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
    ),
    **loader,
)
val_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        video_pipeline=test_video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
        test_mode=True,
    ),
    **loader,
)
test_dataloader = val_dataloader
