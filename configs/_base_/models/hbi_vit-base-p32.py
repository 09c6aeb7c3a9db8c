# HBI (docs/en/methods/hbi.md A) on OpenAI CLIP ViT-B/32: towers from OpenAI's
# ViT-B-32.pt (TorchScript archive or state dict; nothing is downloaded),
# seqTransf temporal module (4 blocks, initialised from CLIP's text blocks
# 0-3 and positional embedding), and the Hierarchical Banzhaf Interaction
# head with 3 levels (entity, action, event).
#
# estimator_file: the Banzhaf estimator (teacher) trained first (A8), e.g.
# the release's estimator checkpoint. A configured file that does not exist
# is an error; estimator_file = None turns the Banzhaf distillation terms
# off (the head logs it) and freezes the unused student estimators, so DDP
# needs no find_unused_parameters.
clip_file = 'checkpoints/ViT-B-32.pt'
estimator_file = 'checkpoints/hbi_msrvtt_estimator.pth'
embed_dim = 512
model = dict(
    type='VideoTextRetriever',
    text_encoder=dict(
        type='CLIPTextTower', arch='ViT-B/32', pretrained=clip_file
    ),
    video_encoder=dict(
        type='CLIPVisionTower', arch='ViT-B/32', pretrained=clip_file
    ),
    temporal=dict(
        type='TemporalTransformer', width=embed_dim, num_layers=4, num_heads=8
    ),
    init_temporal_from_text=True,
    head=dict(
        type='HierarchicalBanzhafHead',
        embed_dim=embed_dim,
        num_levels=3,
        text_merge_rates=(0.25, 0.5),
        video_merge_rates=(0.25, 0.5),
        cluster_k=3,
        rate=(1.0, 0.0, 0.0),  # inference: entity level only (released)
        skl=1.0,
        kl=2.0,
        teacher_checkpoint=estimator_file,
    ),
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
