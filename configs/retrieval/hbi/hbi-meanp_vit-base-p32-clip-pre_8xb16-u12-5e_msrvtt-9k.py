# HBI with no temporal module ("meanP": frame features go to the head as
# CLIP makes them).
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(
    temporal=dict(_delete_=True, type='IdentityTemporal'),
    init_temporal_from_text=False,
)
