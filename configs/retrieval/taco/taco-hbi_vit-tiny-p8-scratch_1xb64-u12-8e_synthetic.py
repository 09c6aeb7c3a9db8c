# HBI + TACo on the synthetic world: the synthetic HBI config with TACo's
# losses and re-ranking (tags as in taco_..._synthetic.py).
_base_ = [
    '../hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py',
    '../../_base_/methods/taco.py',
]
model = dict(
    extra_losses=_base_.taco_extra_losses,
    fusion_encoder=dict(_base_.taco_fusion_encoder, embed_dim=64, num_heads=2),
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
