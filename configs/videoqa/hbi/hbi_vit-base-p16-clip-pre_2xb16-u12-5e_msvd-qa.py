# The released HBI QA recipe on MSVD-QA: the 1,000 most frequent training
# answers (annotations/qa/train_ans2label.json as written by
# tools/data/build_answer_vocabulary.py --top-k 1000, see
# docs/en/data_preparation.md); model, schedule and batch as MSRVTT-QA.
_base_ = [
    '../../_base_/models/hbi-qa_vit-base-p16.py',
    '../../_base_/datasets/msvd_qa.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/videoqa_runtime.py',
]
model = dict(answer_head=dict(num_answers=1000))
global_batch_size = 32
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = val_dataloader
val_cfg = dict(_delete_=True, type='VideoQAValLoop')
test_cfg = dict(_delete_=True, type='VideoQATestLoop')
