# The caption head of the encoder-decoder configs (read as
# _base_.caption_head): label-smoothed (0.1) token cross-entropy; beam 3,
# length penalty 1, no repeated trigram, at most 20 tokens with start and end.
caption_head = dict(
    type='CaptionHead',
    loss=dict(type='CaptionCrossEntropyLoss', label_smoothing=0.1),
    generation=dict(
        max_length=20, num_beams=3, length_penalty=1.0, no_repeat_ngram_size=3
    ),
)
