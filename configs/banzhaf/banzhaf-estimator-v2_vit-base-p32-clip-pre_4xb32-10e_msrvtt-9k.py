# Banzhaf estimator (teacher) of HBI-v2 on MSR-VTT: as the v1 estimator
# config (MSE against Monte-Carlo labels of the entity level, 100 samples,
# A scaled by 1000, everything but the estimator frozen), but the frozen
# retriever is the HBI-v2 model, so the game and the estimator's input are
# the maps of the pairs' reconstructed tokens (the neck at its
# initialisation, like the head's weight heads), the kind of map the HBI-v2
# head later distils the teacher on. Export the result to
# checkpoints/hbi-v2_msrvtt_estimator.pth (see the HBI-v2 config).
_base_ = ['./banzhaf-estimator_vit-base-p32-clip-pre_4xb32-10e_msrvtt-9k.py']
model = dict(
    retriever=dict(
        head=dict(
            reconstruction=dict(type='CrossModalReconstruction', num_heads=8)
        )
    ),
    label_cache_dir='work_dirs/banzhaf_label_cache/msrvtt-v2',
)
