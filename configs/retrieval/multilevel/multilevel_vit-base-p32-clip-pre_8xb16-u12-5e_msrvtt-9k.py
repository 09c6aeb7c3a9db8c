# meanP + multi-level alignment on MSR-VTT. MSR-VTT has no
# timestamps, so only the global level trains; the segment level is off
# and the log says so before training. ActivityNet Captions and DiDeMo
# keep their timestamps: see docs/en/methods/multilevel.md for their
# segment pipeline.
_base_ = [
    '../../_base_/models/clip4clip-meanp_vit-base-p32.py',
    '../../_base_/datasets/msrvtt-9k_retrieval.py',
    '../../_base_/schedules/clip-finetune_warmup-cosine_5e.py',
    '../../_base_/default_runtime.py',
    '../../_base_/methods/multilevel.py',
]
global_batch_size = 128
model = dict(extra_losses=_base_.multilevel_extra_losses)
