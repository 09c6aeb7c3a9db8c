# The released HBI QA model on the synthetic world: tiny CLIP towers from
# scratch (width 64, 2 layers, as the retrieval demo), seqTransf copied from
# the tiny text tower, the QA merge rates, 24 answers, 8 epochs of one
# question per video; frames are cached on disk after the first epoch.
# Without a teacher the Banzhaf terms are off (the head logs it).
# model.retriever_checkpoint=PATH starts from a trained retriever of the
# same towers (e.g. the synthetic HBI retrieval config's), as `make demo`
# does.
_base_ = [
    '../../_base_/models/hbi-qa_vit-base-p16.py',
    '../../_base_/datasets/synthetic_qa.py',
    '../../_base_/schedules/scratch_warmup-cosine_8e.py',
    '../../_base_/videoqa_runtime.py',
]
clip_file = None  # tiny towers from scratch
estimator_file = None  # no teacher: the Banzhaf terms are off
tiny_embed_dim = 64
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
    answer_head=dict(embed_dim=tiny_embed_dim, num_answers=24),
    retriever_checkpoint=None,
)
val_cfg = dict(_delete_=True, type='VideoQAValLoop')
test_cfg = dict(_delete_=True, type='VideoQATestLoop')
default_hooks = dict(logger=dict(interval=10))
