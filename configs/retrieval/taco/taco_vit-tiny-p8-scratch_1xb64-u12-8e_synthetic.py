# meanP + TACo on the synthetic world: the demo's CLIP4Clip baseline (tiny
# towers from scratch) with TACo's losses and re-ranking. The caption tags
# are the world's true ones:
#   python tools/data/tag_captions.py THIS_CONFIG \
#       --truth data/synthetic/annotations/caption_words.json
_base_ = [
    '../clip4clip/clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py',
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
