# Entry point named in the issue: the Banzhaf estimator (teacher) on MSR-VTT.
_base_ = [
    'banzhaf/banzhaf-estimator_vit-base-p32-clip-pre_4xb32-10e_msrvtt-9k.py'
]
