# The runtime of every VideoQA config: the shared default, with the best
# checkpoint chosen by answer accuracy (standard protocol) on the validation
# split, never on test.
_base_ = './default_runtime.py'

default_hooks = dict(checkpoint=dict(save_best='qa/acc', rule='greater'))
