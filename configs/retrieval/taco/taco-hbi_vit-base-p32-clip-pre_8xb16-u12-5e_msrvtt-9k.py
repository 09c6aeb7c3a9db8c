# HBI + TACo on MSR-VTT: the released HBI setting with TACo's losses and
# re-ranking (tags as in taco_..._msrvtt-9k.py).
_base_ = [
    '../hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py',
    '../../_base_/methods/taco.py',
]
model = dict(
    extra_losses=_base_.taco_extra_losses,
    fusion_encoder=dict(
        _base_.taco_fusion_encoder, embed_dim=512, num_heads=8
    ),
    reranker=_base_.taco_reranker,
)
train_dataloader = dict(
    dataset=dict(
        tag_file='annotations/MSRVTT_data.tags.json',
        text_pipeline=[
            *_base_.text_pipeline,
            *_base_.taco_text_transforms,
        ],
    )
)
