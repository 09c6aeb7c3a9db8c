# The released HBI QA model on the synthetic world: tiny CLIP towers from
# scratch (width 64, 2 layers, as the retrieval demo), seqTransf copied from
# the tiny text tower, the QA merge rates, 24 answers, 8 epochs of every
# training question; frames are cached on disk after the first epoch.
# Without a teacher the Banzhaf terms are off (the head logs it).
_base_ = [
    '../../_base_/models/hbi-qa_vit-base-p16.py',
    '../../_base_/datasets/synthetic_qa.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/videoqa_runtime.py',
]
tiny_embed_dim = 64
model = dict(
    text_encoder=dict(arch='tiny', pretrained=None),
    video_encoder=dict(arch='tiny', pretrained=None),
    temporal=dict(width=tiny_embed_dim, num_layers=2, num_heads=2),
    head=dict(embed_dim=tiny_embed_dim, num_heads=4, teacher_checkpoint=None),
    answer_head=dict(embed_dim=tiny_embed_dim, num_answers=24),
)
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(_delete_=True, type='VideoQAValLoop')
test_cfg = dict(_delete_=True, type='VideoQATestLoop')
# From scratch: every parameter at the same learning rate.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(clip_lr_mult=1.0),
)
param_scheduler = [
    dict(
        type='WarmupCosineLR',
        warmup=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(logger=dict(interval=10))
