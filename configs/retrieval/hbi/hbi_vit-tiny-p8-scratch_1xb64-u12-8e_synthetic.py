# HBI on the synthetic world: the demo's CLIP4Clip baseline (tiny CLIP towers
# from scratch, same data, schedule and runtime) with HBI's parts swapped in:
# seqTransf on the tiny width (as many blocks as the tiny text tower, copied
# from it with its positional embedding) and the 3-level HBI head on the
# tiny embedding width. Without a teacher the Banzhaf terms are off (the head logs it; the
# unused estimators are frozen); `make demo` trains one first and passes
# it with --cfg-options model.head.teacher_checkpoint=PATH.
_base_ = [
    '../clip4clip/clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
]
tiny_embed_dim = 64  # CLIP_ARCHS['tiny']: embed_dim = text width = 64
tiny_text_layers = 2
model = dict(
    temporal=dict(
        _delete_=True,
        type='TemporalTransformer',
        width=tiny_embed_dim,
        num_layers=tiny_text_layers,
        num_heads=2,
    ),
    init_temporal_from_text=True,
    head=dict(
        _delete_=True,
        type='HierarchicalBanzhafHead',
        embed_dim=tiny_embed_dim,
        num_levels=3,
        num_heads=4,
        text_merge_rates=(0.25, 0.5),
        video_merge_rates=(0.25, 0.5),
        rate=(1.0, 0.0, 0.0),
        skl=1.0,
        kl=2.0,
        teacher_checkpoint=None,
    ),
)
