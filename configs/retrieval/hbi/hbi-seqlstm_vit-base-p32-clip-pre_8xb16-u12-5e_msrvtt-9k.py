# HBI with CLIP4Clip's "seqLSTM" temporal module (1-layer LSTM + residual,
# trained from scratch).
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(
    temporal=dict(_delete_=True, type='TemporalLSTM', width=512, num_layers=1),
    init_temporal_from_text=False,
)
