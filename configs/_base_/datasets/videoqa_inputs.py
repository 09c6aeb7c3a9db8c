# What every VideoQA dataset config adds to its loaders' text pipeline and
# packing (msrvtt_qa.py, msvd_qa.py, synthetic_qa.py). The answer is also
# tokenised as decoder inputs and targets, for the encoder-decoder's
# open-ended answer head; other models ignore them.
max_answer_tokens = 8
answer_decoder_inputs = dict(
    type='TokenizeCaptionForDecoder',
    key='answer',
    max_length=max_answer_tokens,
)
qa_pack = dict(
    text_keys=(
        'input_ids',
        'attention_mask',
        'answer_input_ids',
        'answer_target_ids',
        'answer_mask',
    ),
    meta_keys=(
        'video_id',
        'video_index',
        'text_index',
        'caption',
        'answer',
        'answer_type',
        'num_frames',
    ),
)
