# meanP (the demo's CLIP4Clip baseline) + Clover on the synthetic world: tiny towers from scratch with
# Clover's masked views, tri-modal alignment and pair-wise ranking. The
# caption tags (for the semantic text masking) are the world's true ones:
#   python tools/data/tag_captions.py THIS_CONFIG \
#       --truth data/synthetic/annotations/caption_words.json
_base_ = [
    '../clip4clip/clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py',
    '../../_base_/methods/clover.py',
]
model = dict(
    extra_losses=_base_.clover_extra_losses,
    fusion_encoder=dict(
        _base_.clover_fusion_encoder, embed_dim=64, num_heads=2
    ),
)
train_dataloader = dict(
    dataset=dict(
        tag_file='annotations/MSRVTT_data.tags.json',
        text_pipeline=[
            *_base_.text_pipeline,
            *_base_.clover_text_transforms,
        ],
    )
)
