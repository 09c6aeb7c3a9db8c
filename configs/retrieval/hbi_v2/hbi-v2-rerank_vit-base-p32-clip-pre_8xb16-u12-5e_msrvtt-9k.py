# HBI-v2 on MSR-VTT with the optional re-ranking on: each text's top-16
# videos (and each video's top-16 texts) by the single-modal similarity are
# re-scored with the similarity of the pair's reconstructed tokens,
# final = sim + 1.0 * sim_rec (docs/en/advanced_guides/reranking.md). The
# model (and its checkpoint) is the one of the plain HBI-v2 config; metrics
# of the re-ranked matrices are reported under rerank/.
_base_ = ['./hbi-v2_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(reranker=dict(type='ReconstructionReranker', k=16, weight=1.0))
