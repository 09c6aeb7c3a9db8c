"""Test-only hooks: which videos each rank trained on, and the losses."""

import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from hbi.registry import HOOKS


@HOOKS.register_module()
class SampleRecorderHook(Hook):
    def __init__(self):
        self.seen = []

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        self.seen += [
            [runner.epoch, s.video_id] for s in data_batch['data_samples']
        ]

    def after_run(self, runner):
        with open(
            osp.join(runner.work_dir, f'seen_rank{get_rank()}.json'), 'w'
        ) as f:
            json.dump(self.seen, f)


@HOOKS.register_module()
class LossRecorderHook(Hook):
    """Records every iteration's logged losses (``losses_rank{r}.json``)."""

    def __init__(self):
        self.losses = []

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        self.losses.append({k: float(v) for k, v in outputs.items()})

    def after_run(self, runner):
        with open(
            osp.join(runner.work_dir, f'losses_rank{get_rank()}.json'), 'w'
        ) as f:
            json.dump(self.losses, f)
