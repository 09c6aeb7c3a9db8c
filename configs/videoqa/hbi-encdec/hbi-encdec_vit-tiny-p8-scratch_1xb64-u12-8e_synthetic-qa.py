# The encoder-decoder answer heads on the synthetic world: tiny towers from
# scratch (or a trained retriever: model.retriever_checkpoint=PATH), a
# 2-layer decoder of width 64, 24 answers; schedule as the released-model
# synthetic config.
_base_ = [
    '../../_base_/models/hbi-encdec-qa_vit-base-p16.py',
    '../../_base_/datasets/synthetic_qa.py',
    '../../_base_/schedules/scratch_warmup-cosine_8e.py',
    '../../_base_/videoqa_runtime.py',
]
clip_file = None  # tiny towers from scratch
estimator_file = None  # no teacher: the Banzhaf terms are off
tiny_embed_dim = 64
tiny_decoder_width = 64
model = dict(
    clip_file=clip_file,
    text_encoder=dict(arch='tiny'),
    video_encoder=dict(arch='tiny'),
    temporal=dict(width=tiny_embed_dim, num_layers=2, num_heads=2),
    head=dict(
        embed_dim=tiny_embed_dim,
        num_heads=4,
        teacher_checkpoint=estimator_file,
    ),
    decoder=dict(width=tiny_decoder_width, num_layers=2, num_heads=4),
    task_heads=dict(
        answer_cls=dict(num_answers=24, decoder_width=tiny_decoder_width)
    ),
)
val_cfg = dict(_delete_=True, type='VideoQAValLoop')
test_cfg = dict(_delete_=True, type='VideoQATestLoop')
default_hooks = dict(logger=dict(interval=10))
