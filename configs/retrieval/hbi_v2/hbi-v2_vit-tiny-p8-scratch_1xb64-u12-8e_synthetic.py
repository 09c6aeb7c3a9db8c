# HBI-v2 on the synthetic world: the HBI synthetic config (tiny towers from
# scratch, seqTransf, 3 levels, same data, schedule and runtime) with the
# reconstruction neck (8 heads on the tiny width 64, one module for all
# levels, reconstruction loss weight 0.1). As for v1, the Banzhaf terms need
# a teacher; train it on reconstructed maps with
# configs/banzhaf/banzhaf-estimator-v2_vit-tiny-p8_1xb64-10e_synthetic.py
# and pass --cfg-options model.head.teacher_checkpoint=PATH.
_base_ = ['../hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py']
model = dict(
    head=dict(
        reconstruction=dict(
            type='CrossModalReconstruction',
            num_heads=8,
            share_levels=True,
            loss=dict(type='CosineReconstructionLoss', loss_weight=0.1),
        )
    )
)
