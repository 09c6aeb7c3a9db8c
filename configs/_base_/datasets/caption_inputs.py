# What every captioning dataset config adds to its loaders (read through
# _base_.caption_transform / _base_.caption_keys by msrvtt_caption.py,
# msvd_caption.py and synthetic_caption.py): training items tokenise their
# caption twice, as the retrieval input (TokenizeText) and as the decoder's
# input and target (TokenizeCaptionForDecoder: start token, words, end
# token, shifted by one), and the packer keeps the decoder's keys.
# Evaluation items are videos ('video' modality) carrying gt_captions.
caption_length = 32  # decoder tokens with start and end (before the shift)
caption_transform = dict(
    type='TokenizeCaptionForDecoder', max_length=caption_length
)
caption_keys = ('caption_input_ids', 'caption_target_ids', 'caption_mask')
