# HBI with the entity and action levels (one merge step, rate 0.25).
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(head=dict(num_levels=2, rate=(1.0, 0.0)))
