# HBI + multi-level alignment on the synthetic world: the global
# level and the segment level, whose segments (2-3 per video, their
# timestamps and sentences) come from the world's segments_train.json; up
# to 4 frames per segment, sampled inside its span by the same rule.
_base_ = [
    '../hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py',
    '../../_base_/methods/multilevel.py',
]
model = dict(extra_losses=_base_.multilevel_extra_losses)
train_dataloader = dict(
    dataset=dict(
        segment_file='annotations/segments_train.json',
        video_pipeline=[
            dict(
                type='FrameCache',
                loader=dict(
                    type='LoadVideoFrames',
                    max_frames=_base_.max_frames,
                    test_mode=True,
                    segment_frames=_base_.multilevel_segment_frames,
                ),
            ),
            *_base_.resize_crop,
            dict(type='TokenizeSegments', max_length=_base_.max_words),
        ],
    )
)
