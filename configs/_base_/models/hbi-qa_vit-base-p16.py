# The released HBI VideoQA model (docs/en/methods/hbi_qa.md) on OpenAI CLIP
# ViT-B/16: the retrieval model's towers, seqTransf (4 blocks, initialised
# from CLIP's text blocks 0-3) and level encoders, with the QA release's
# merge rates (text 0.25 then 0.125: 32 -> 8 -> 1 tokens; video 0.25 then
# 0.25: 12 -> 3 -> 1), plus one pooled answer classifier per level. Test
# logits: 0.4 entity + 0.4 action + 0.2 event. Training: per level
# cross-entropy + 0.5 x (contrastive + skl x Banzhaf distillation, the
# entity maps unmasked) on the question-video pairs + kl x KL(entity answers
# || level answers). estimator_file: the Banzhaf teacher (the retrieval
# release's estimator); None turns the Banzhaf terms off.
clip_file = 'checkpoints/ViT-B-16.pt'
estimator_file = 'checkpoints/hbi_msrvtt_estimator.pth'
embed_dim = 512
num_answers = 1500
model = dict(
    type='VideoQuestionAnswerer',
    text_encoder=dict(
        type='CLIPTextTower', arch='ViT-B/16', pretrained=clip_file
    ),
    video_encoder=dict(
        type='CLIPVisionTower', arch='ViT-B/16', pretrained=clip_file
    ),
    temporal=dict(
        type='TemporalTransformer', width=embed_dim, num_layers=4, num_heads=8
    ),
    init_temporal_from_text=True,
    head=dict(
        type='HierarchicalBanzhafHead',
        embed_dim=embed_dim,
        num_levels=3,
        text_merge_rates=(0.25, 0.125),
        video_merge_rates=(0.25, 0.25),
        cluster_k=3,
        skl=1.0,
        kl=0.0,  # the QA release distils answer logits, not similarities
        mask_entity_banzhaf=False,
        teacher_checkpoint=estimator_file,
    ),
    answer_head=dict(
        type='LevelAnswerHead',
        embed_dim=embed_dim,
        num_answers=num_answers,
        num_levels=3,
        rate=(0.4, 0.4, 0.2),
        dropout=0.1,
        kl=0.2,
    ),
    retrieval_loss_weight=0.5,
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
