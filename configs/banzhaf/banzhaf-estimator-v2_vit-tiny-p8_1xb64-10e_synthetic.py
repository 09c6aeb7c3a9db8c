# Banzhaf estimator (teacher) of HBI-v2 on the synthetic world: as the v1
# synthetic estimator config (the demo's frozen CLIP4Clip towers, MSE
# against Monte-Carlo labels, 100 samples, scale 1000), but the frozen
# retriever's head is the HBI-v2 head at its initialisation (token weights
# from its weight heads, maps of tokens reconstructed by its neck), so the
# teacher learns the kind of map HBI-v2 distils it on. The meanP checkpoint
# has no head weights: retriever_new_modules lets them keep their
# initialisation (the log lists them).
#
#   python tools/train.py configs/banzhaf/banzhaf-estimator-v2_vit-tiny-p8_1xb64-10e_synthetic.py \
#       --cfg-options model.retriever_checkpoint=work_dirs/clip4clip_synthetic/epoch_8.pth
_base_ = ['./banzhaf-estimator_vit-tiny-p8_1xb64-10e_synthetic.py']
tiny_embed_dim = 64
# The head of configs/retrieval/hbi_v2/hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py
# (without its teacher).
hbi_v2_head = dict(
    type='HierarchicalBanzhafHead',
    embed_dim=tiny_embed_dim,
    num_levels=3,
    num_heads=4,
    text_merge_rates=(0.25, 0.5),
    video_merge_rates=(0.25, 0.5),
    rate=(1.0, 0.0, 0.0),
    teacher_checkpoint=None,
    reconstruction=dict(type='CrossModalReconstruction', num_heads=8),
)
model = dict(
    retriever=dict(head=dict(_delete_=True, **hbi_v2_head)),
    retriever_new_modules=('head',),
    label_cache_dir='work_dirs/banzhaf_label_cache/synthetic-v2',
)
