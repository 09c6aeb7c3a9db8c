# Entry point named in the issue: the Banzhaf estimator (teacher) on MSR-VTT.
_base_ = [
    'banzhaf/banzhaf-estimator_vit-base-p32-clip-pre_1xb128-5e_msrvtt-9k.py'
]
