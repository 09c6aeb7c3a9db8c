# The journal HBI encoder-decoder for VideoQA (docs/en/methods/hbi_qa.md Q7)
# on OpenAI CLIP ViT-B/16: the HBI retrieval model (hbi_vit-base-p32.py;
# its losses stay on with weight 0.5) plus a 3-layer decoder (width 512,
# 8 heads, CLIP's token table) over a memory of the video's level tokens and
# the question's tokens, with two answer heads: classification over the
# 1,500 answers from the decoder's first output (scored by default:
# test_cfg.answer_from='logits') and open-ended generation
# (test_cfg.answer_from='text' scores it, exact match after normalisation).
# score_weight mixes logit heads; add
# levels=dict(type='LevelAnswerTaskHead', ...) for the released per-level
# classifiers as a third head.
_base_ = './hbi_vit-base-p32.py'

clip_file = 'checkpoints/clip/ViT-B-16.pt'
decoder_width = 512
num_answers = 1500
model = dict(
    type='VideoTextEncoderDecoder',
    clip_file=clip_file,
    text_encoder=dict(arch='ViT-B/16'),
    video_encoder=dict(arch='ViT-B/16'),
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
)
