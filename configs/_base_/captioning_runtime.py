# Runtime of captioning configs: default_runtime.py's hooks and environment
# with the best checkpoint chosen on the validation split's CIDEr (never on
# test) instead of t2v/R@1. Use it with a captioning schedule
# (schedules/captioning_*.py), which runs the caption loops.
_base_ = './default_runtime.py'

default_hooks = dict(
    checkpoint=dict(save_best='caption/CIDEr', rule='greater'),
)
