# The synthetic world's QA files through the same VideoQADataset.
# Items: the question is the caption (tokenised by text_pipeline); the data
# sample carries gt_answer (-1 for an answer outside the vocabulary: wrong at
# test time). Training leaves such questions out. See docs/en/data_preparation.md.
_base_ = ['./synthetic_video_text_loaders.py', './videoqa_inputs.py']

dataset_type = 'VideoQADataset'
data_root = 'data/synthetic'
data_prefix = dict(video='videos')
ans2label_file = 'annotations/qa_ans2label.json'
# Decoded frames cached on disk after the first pass (shared with the
# retrieval configs' cache).
video_pipeline = _base_.cached_video_pipeline

text_pipeline = [*_base_.text_pipeline, _base_.answer_decoder_inputs]
pack = _base_.qa_pack
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ans2label_file=ans2label_file,
        ann_file='annotations/qa_train.jsonl',
        video_pipeline=video_pipeline,
        # One question per video per epoch (drawn anew each epoch): the
        # videos, not the questions, are what costs on this world.
        caption_sampling='one_per_video',
        drop_unknown_answers=True,
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ans2label_file=ans2label_file,
        ann_file='annotations/qa_val.jsonl',
        video_pipeline=video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ans2label_file=ans2label_file,
        ann_file='annotations/qa_test.jsonl',
        video_pipeline=video_pipeline,
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
# Answers outside the vocabulary (gt_answer=-1) count as wrong.
val_evaluator = dict(type='VideoQAAccuracy')
test_evaluator = val_evaluator
