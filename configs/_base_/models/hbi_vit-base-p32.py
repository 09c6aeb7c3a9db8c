# HBI (docs/en/methods/hbi.md A) on OpenAI CLIP ViT-B/32: both towers and the
# temperature from OpenAI's ViT-B-32.pt (`clip_file`: the TorchScript archive
# as released, or a state dict; nothing is downloaded), seqTransf temporal
# module (4 blocks, initialised from CLIP's text blocks 0-3 and positional
# embedding), and the Hierarchical Banzhaf Interaction head with 3 levels
# (entity, action, event), distilled from the Banzhaf estimator
# (`estimator_file`, the teacher trained first, A8).
#
# Files (paths relative to the directory you run from; a missing file is an
# error that says where to get it):
#   checkpoints/clip/ViT-B-32.pt           OpenAI's release
#   checkpoints/hbi/estimator_msrvtt.pth   the release's estimator
#       (Estimator_1e-2_epoch6 in its README), or one trained with
#       configs/banzhaf_estimator_msrvtt.py and exported.
# Override with --cfg-options model.clip_file=PATH
# model.head.teacher_checkpoint=PATH. teacher_checkpoint=None turns the
# Banzhaf distillation terms off (the head logs it) and freezes the unused
# student estimators. Evaluating a checkpoint that holds the whole model
# (tools/test.py CONFIG CKPT) reads neither file.
clip_file = 'checkpoints/clip/ViT-B-32.pt'
estimator_file = 'checkpoints/hbi/estimator_msrvtt.pth'
embed_dim = 512
model = dict(
    type='VideoTextRetriever',
    clip_file=clip_file,
    text_encoder=dict(type='CLIPTextTower', arch='ViT-B/32'),
    video_encoder=dict(type='CLIPVisionTower', arch='ViT-B/32'),
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
