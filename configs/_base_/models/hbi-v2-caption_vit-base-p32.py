# HBI encoder-decoder (docs/en/methods/hbi_v2.md B2) on OpenAI CLIP ViT-B/32:
# the HBI retriever of hbi_vit-base-p32.py (same towers, seqTransf, 3-level
# head, estimator file; same parameter names, so a trained HBI retriever
# loads with model.retriever_checkpoint=PATH) plus a 3-layer, 512-wide,
# 8-head transformer decoder whose token table is the CLIP text tower's
# (49,408 tokens, shared for input and output), over a memory of the
# video's frame, action and event tokens (with level embeddings), and the
# caption head: label-smoothed (0.1) token cross-entropy, beam 3. The
# retrieval losses stay on (retrieval_loss_weight).
_base_ = ['./hbi_vit-base-p32.py', './caption_head.py']

model = dict(
    type='VideoTextEncoderDecoder',
    decoder=dict(
        type='TransformerTextDecoder',
        width=512,
        num_layers=3,
        num_heads=8,
        dropout=0.1,
    ),
    memory_levels=('entity', 'action', 'event'),
    retrieval_loss_weight=1.0,
    task_heads=dict(caption=_base_.caption_head),
)
