# Clover (docs/en/methods/clover.md) as parts a retriever config adds:
# semantic masking of the text (nouns and verb phrases, p = 0.3, from the
# caption tags), block masking of 20% of the patch grid, tri-modal
# alignment (temperature 0.05) and pair-wise ranking (margin 0.25). Only
# the dual encoder is used at test time. A config sets
#   model = dict(extra_losses=_base_.clover_extra_losses,
#                fusion_encoder=dict(_base_.clover_fusion_encoder,
#                                    embed_dim=..., num_heads=...))
# and gives its training set the caption tags (tag_file) and its text
# pipeline clover_text_transforms after the tokenizer:
# [*_base_.text_pipeline, *_base_.clover_text_transforms].
clover_extra_losses = [
    dict(
        type='CloverLoss',
        alignment_weight=1.0,
        ranking_weight=1.0,
        margin=0.25,
        temperature=0.05,
        video_mask_ratio=0.2,
        fusion_tokens='patches',
    ),
]
clover_fusion_encoder = dict(
    type='FusionEncoder', num_layers=2, match_head=False
)
clover_text_transforms = [dict(type='SemanticTextMask', prob=0.3)]
