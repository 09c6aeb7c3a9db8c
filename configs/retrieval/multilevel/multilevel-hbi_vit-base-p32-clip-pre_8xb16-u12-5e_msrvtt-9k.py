# HBI (released setting) + multi-level alignment on MSR-VTT. MSR-VTT has no
# timestamps, so only the global level trains; the segment level is off
# and the log says so before training. ActivityNet Captions and DiDeMo
# keep their timestamps: see docs/en/methods/multilevel.md for their
# segment pipeline.
_base_ = [
    '../hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py',
    '../../_base_/methods/multilevel.py',
]
model = dict(extra_losses=_base_.multilevel_extra_losses)
