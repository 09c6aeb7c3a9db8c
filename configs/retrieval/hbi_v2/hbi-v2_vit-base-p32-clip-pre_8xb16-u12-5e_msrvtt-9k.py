# HBI-v2 (journal version, docs/en/methods/hbi_v2.md): the released MSR-VTT
# recipe of HBI (ViT-B/32 from OpenAI CLIP, 3 levels, skl 1, kl 2, global
# batch 128, 5 epochs) with representation reconstruction: the Banzhaf maps
# of the positive pairs (student and teacher inputs) are computed on tokens
# reconstructed with the paired item (CrossModalReconstruction: pre-LN
# cross-attention, 8 heads, per-channel gate, one module for all levels),
# plus a reconstruction loss (1 - cos, weight 0.1). Retrieval similarity is
# unchanged (single-modal tokens, items encoded once).
#
# The teacher must be trained on reconstructed maps too:
#   python tools/train.py configs/banzhaf/banzhaf-estimator-v2_vit-base-p32-clip-pre_4xb32-10e_msrvtt-9k.py
#   python tools/model_converters/export_banzhaf_estimator.py \
#       work_dirs/<that config>/best_banzhaf_mse_epoch_*.pth \
#       checkpoints/hbi-v2_msrvtt_estimator.pth
# A released v1 checkpoint (or an hbi v1 one) loads into this model: the
# neck keeps its initialisation and the log lists it.
_base_ = ['../hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
estimator_file = 'checkpoints/hbi-v2_msrvtt_estimator.pth'
model = dict(
    head=dict(
        teacher_checkpoint=estimator_file,
        reconstruction=dict(
            type='CrossModalReconstruction',
            num_heads=8,
            share_levels=True,
            loss=dict(type='CosineReconstructionLoss', loss_weight=0.1),
        ),
    )
)
