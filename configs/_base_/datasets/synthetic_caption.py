# Captioning on the synthetic world's MSRVTT_data.json (2,000 / 200 / 500
# videos, 5 captions each), with the retrieval config's frame cache.
# Training: one random caption per video per epoch, as retrieval input and
# decoder input/target; evaluation: one item per video ('video' modality)
# whose data sample carries gt_captions (its 5 references).
_base_ = ['./synthetic_retrieval.py', './caption_inputs.py']

dataset_type = 'MSRVTTCaptionDataset'

text_pipeline = [*_base_.text_pipeline, _base_.caption_transform]
pack = dict(
    _base_.pack,
    text_keys=('input_ids', 'attention_mask', *_base_.caption_keys),
)
train_dataloader = dict(
    dataset=dict(type=dataset_type, text_pipeline=text_pipeline, pack=pack)
)
val_dataloader = dict(
    dataset=dict(type=dataset_type, modality='video', pack=pack)
)
test_dataloader = dict(
    dataset=dict(type=dataset_type, modality='video', pack=pack)
)
val_evaluator = dict(type='CaptionMetric')
test_evaluator = val_evaluator
