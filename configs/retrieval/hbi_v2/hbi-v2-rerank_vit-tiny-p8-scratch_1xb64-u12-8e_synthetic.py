# HBI-v2 on the synthetic world with re-ranking by the reconstructed
# similarity (top-16, final = sim + 1.0 * sim_rec); same model and
# checkpoint as the plain HBI-v2 synthetic config.
_base_ = ['./hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py']
model = dict(reranker=dict(type='ReconstructionReranker', k=16, weight=1.0))
