# HBI with the entity level only (no token merging, no self-distillation).
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(head=dict(num_levels=1, rate=(1.0,)))
