# CLIP4Clip meanP with tiny CLIP towers trained from scratch on the
# synthetic world: the demo's baseline, sized for a 2-core CPU (8 epochs,
# every parameter at lr 1e-3: scratch_warmup-cosine_8e.py).
_base_ = [
    '../../_base_/models/clip4clip-meanp_vit-tiny-p8.py',
    '../../_base_/datasets/synthetic_retrieval.py',
    '../../_base_/schedules/scratch_warmup-cosine_8e.py',
    '../../_base_/default_runtime.py',
]
default_hooks = dict(logger=dict(interval=10))
