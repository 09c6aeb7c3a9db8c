# The journal HBI encoder-decoder for VideoQA (docs/en/methods/hbi_v2.md B2)
# on OpenAI CLIP ViT-B/16: the retrieval model (towers, seqTransf, the
# 3-level HBI head, whose losses stay on with weight 0.5) plus a 3-layer
# decoder (width 512, 8 heads, CLIP's token table) over a memory of the
# video's level tokens and the question's tokens, with two answer heads:
# classification over the 1,500 answers from the decoder's first output
# (scored by default: test_cfg.answer_from='logits') and open-ended
# generation (test_cfg.answer_from='text' scores it, exact match after
# normalisation). score_weight mixes logit heads; add
# levels=dict(type='LevelAnswerTaskHead', ...) for the released per-level
# classifiers as a third head.
clip_file = 'checkpoints/ViT-B-16.pt'
estimator_file = 'checkpoints/hbi_msrvtt_estimator.pth'
embed_dim = 512
decoder_width = 512
num_answers = 1500
model = dict(
    type='VideoTextEncoderDecoder',
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
        teacher_checkpoint=estimator_file,
    ),
    decoder=dict(
        type='TransformerTextDecoder',
        width=decoder_width,
        num_layers=3,
        num_heads=8,
    ),
    extra_memory_parts=('question',),
    task_heads=dict(
        answer_cls=dict(
            type='DecoderAnswerClassifierHead',
            num_answers=num_answers,
            decoder_width=decoder_width,
        ),
        answer_gen=dict(type='OpenEndedAnswerHead'),
    ),
    retrieval_loss_weight=0.5,
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
