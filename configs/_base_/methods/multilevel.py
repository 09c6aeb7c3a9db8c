# Multi-level alignment (docs/en/methods/multilevel.md): a global level
# (whole video with whole caption or paragraph) and a segment level (each
# timestamped segment's own frames with its sentence; the other segments
# of the batch, those of the same video included, are negatives), each a
# contrastive loss with its weight. A config sets
#   model = dict(extra_losses=_base_.multilevel_extra_losses)
# and, for a training set with timestamps, samples the segments' frames
# (LoadVideoFrames(segment_frames=...)) and tokenizes their sentences
# (TokenizeSegments). Without timestamps the segment level is off (logged).
multilevel_extra_losses = [
    dict(
        type='MultiLevelAlignmentLoss', global_weight=1.0, segment_weight=1.0
    ),
]
multilevel_segment_frames = 4
