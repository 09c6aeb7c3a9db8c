# TACo (docs/en/methods/taco.md) as parts a retriever config adds: the
# token-aware loss over content words, cascade sampling of the K = 8
# hardest negatives through the fusion encoder, and test-time re-ranking
# of the top K' = 16 by dual + lambda * fusion. A config sets
#   model = dict(extra_losses=_base_.taco_extra_losses,
#                fusion_encoder=dict(_base_.taco_fusion_encoder,
#                                    embed_dim=..., num_heads=...),
#                reranker=_base_.taco_reranker)
# and gives its training set the caption tags (tag_file, written once by
# tools/data/tag_captions.py) and its text pipeline taco_text_transforms
# after the tokenizer: [*_base_.text_pipeline, *_base_.taco_text_transforms].
taco_extra_losses = [
    dict(type='TokenAwareContrastiveLoss', loss_weight=1.0),
    dict(type='CascadeFusionLoss', num_negatives=8, loss_weight=1.0),
]
taco_fusion_encoder = dict(type='FusionEncoder', num_layers=2, match_head=True)
taco_reranker = dict(type='FusionReranker', k=16, weight=1.0)
taco_text_transforms = [dict(type='ContentWordMask')]
