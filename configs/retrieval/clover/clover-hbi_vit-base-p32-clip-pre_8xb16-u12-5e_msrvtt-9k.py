# HBI (released setting) + Clover on MSR-VTT (9k train, 1k-A test), OpenAI CLIP
# ViT-B/32. Tag the captions once (spaCy's small English pipeline):
#   python -m spacy download en_core_web_sm
#   python tools/data/tag_captions.py THIS_CONFIG
_base_ = [
    '../hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py',
    '../../_base_/methods/clover.py',
]
model = dict(
    extra_losses=_base_.clover_extra_losses,
    fusion_encoder=dict(
        _base_.clover_fusion_encoder, embed_dim=512, num_heads=8
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
