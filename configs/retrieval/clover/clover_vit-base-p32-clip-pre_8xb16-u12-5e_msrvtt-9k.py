# meanP + Clover on MSR-VTT (9k train, 1k-A test), OpenAI CLIP
# ViT-B/32. Tag the captions once (spaCy's small English pipeline):
#   python -m spacy download en_core_web_sm
#   python tools/data/tag_captions.py THIS_CONFIG
_base_ = [
    '../../_base_/models/clip4clip-meanp_vit-base-p32.py',
    '../../_base_/datasets/msrvtt-9k_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
    '../../_base_/methods/clover.py',
]
global_batch_size = 128
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
