# The released HBI VideoQA model (docs/en/methods/hbi_qa.md) on OpenAI CLIP
# ViT-B/16: the HBI retrieval model (hbi_vit-base-p32.py: towers, seqTransf
# with 4 blocks initialised from CLIP's text blocks 0-3, the level
# encoders) with the QA release's merge rates (text 0.25 then 0.125:
# 32 -> 8 -> 1 tokens; video 0.25 then 0.25: 12 -> 3 -> 1), plus one pooled
# answer classifier per level. Test logits: 0.4 entity + 0.4 action + 0.2
# event. Training: per level cross-entropy + 0.5 x (contrastive + skl x
# Banzhaf distillation, the entity maps unmasked) on the question-video
# pairs + kl x KL(entity answers || level answers). estimator_file: the
# Banzhaf teacher (the retrieval release's estimator); None turns the
# Banzhaf terms off.
_base_ = './hbi_vit-base-p32.py'

clip_file = 'checkpoints/clip/ViT-B-16.pt'
num_answers = 1500
model = dict(
    type='VideoQuestionAnswerer',
    clip_file=clip_file,
    text_encoder=dict(arch='ViT-B/16'),
    video_encoder=dict(arch='ViT-B/16'),
    head=dict(
        text_merge_rates=(0.25, 0.125),
        video_merge_rates=(0.25, 0.25),
        kl=0.0,  # the QA release distils answer logits, not similarities
        mask_entity_banzhaf=False,
    ),
    answer_head=dict(
        type='LevelAnswerHead',
        embed_dim=_base_.embed_dim,
        num_answers=num_answers,
        num_levels=3,
        rate=(0.4, 0.4, 0.2),
        dropout=0.1,
        kl=0.2,
    ),
    retrieval_loss_weight=0.5,
)
