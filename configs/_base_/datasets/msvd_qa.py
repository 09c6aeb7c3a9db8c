# MSVD-QA open-ended video QA.
# Items: the question is the caption (tokenised by text_pipeline); the data
# sample carries gt_answer (-1 for an answer outside the vocabulary: wrong at
# test time). Training leaves such questions out. See docs/en/data_preparation.md.
_base_ = ['./video_text_loaders.py', './videoqa_inputs.py']

dataset_type = 'VideoQADataset'
data_root = 'data/msvd'
data_prefix = dict(video='YouTubeClips')
ans2label_file = 'annotations/qa/train_ans2label.json'
video_ext = '.avi'

text_pipeline = [*_base_.text_pipeline, _base_.answer_decoder_inputs]
pack = _base_.qa_pack
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ans2label_file=ans2label_file,
        video_ext=video_ext,
        ann_file='annotations/qa/train.jsonl',
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
        video_ext=video_ext,
        ann_file='annotations/qa/val.jsonl',
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
        video_ext=video_ext,
        ann_file='annotations/qa/test.jsonl',
        text_pipeline=text_pipeline,
        pack=pack,
    )
)
# Answers outside the vocabulary (gt_answer=-1) count as wrong.
val_evaluator = dict(type='VideoQAAccuracy')
test_evaluator = val_evaluator
