"""Validation and test loops for captioning (each video encoded once)."""

import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import all_gather_object, is_main_process
from mmengine.runner import TestLoop, ValLoop
from mmengine.runner.amp import autocast

from hbi.registry import LOOPS


class _CaptionLoopMixin:
    """What the caption val and test loops share: the dataset must iterate
    videos (one item per video, so each is encoded once and its caption
    decoded in the batch of its neighbours), and the predictions can be
    dumped as ``{video_id: caption}`` JSON."""

    #: Read by ``tools/test.py`` (``--dump`` suffix, ``--show-dir`` kind).
    task = 'captioning'
    dump_suffix = '.json'

    def _setup(self, dump: Optional[str]) -> None:
        dataset = self.dataloader.dataset
        modality = getattr(dataset, 'modality', None)
        if modality != 'video':
            raise ValueError(
                f'{type(self).__name__}: the dataset must iterate videos '
                f"(modality='video', one item per video), got modality="
                f'{modality!r} of {type(dataset).__name__}'
            )
        if dump and not dump.endswith(self.dump_suffix):
            raise ValueError(
                f'{type(self).__name__}: dump must name a '
                f'{self.dump_suffix} file, got {dump!r}'
            )
        self.dump = dump
        self.predictions: Dict[str, str] = {}

    def _record(self, outputs: Sequence) -> None:
        for sample in outputs:
            self.predictions[str(sample.video_id)] = sample.pred_caption

    def _write_dump(self) -> None:
        merged: Dict[str, str] = {}
        for part in all_gather_object(self.predictions):
            merged.update(part)
        if not (self.dump and is_main_process()):
            return
        order = [v['video_id'] for v in self.dataloader.dataset.videos]
        missing = [v for v in order if v not in merged]
        if missing:
            raise RuntimeError(
                f'caption evaluation lost {len(missing)} videos, e.g. '
                f'{missing[:5]}'
            )
        os.makedirs(osp.dirname(osp.abspath(self.dump)), exist_ok=True)
        with open(self.dump, 'w', encoding='utf-8') as f:
            json.dump({v: merged[v] for v in order}, f, indent=1)
        self.runner.logger.info(
            f'{len(order)} generated captions dumped to {self.dump}'
        )


@LOOPS.register_module()
class CaptionValLoop(_CaptionLoopMixin, ValLoop):
    """Validation for captioning: mmengine's ``ValLoop`` over the videos of
    the dataset, checked to be its video view.

    Args:
        runner, dataloader, evaluator, fp16: as
            :class:`mmengine.runner.ValLoop`.
    """

    def __init__(self, runner, dataloader, evaluator, fp16=False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(None)


@LOOPS.register_module()
class CaptionTestLoop(_CaptionLoopMixin, TestLoop):
    """Test for captioning, like :class:`CaptionValLoop`; ``dump`` writes
    ``{video_id: generated caption}`` in the dataset's video order.

    Args:
        runner, dataloader, evaluator, fp16: as
            :class:`mmengine.runner.TestLoop`.
        dump (str, optional): A ``.json`` path. Defaults to None.
    """

    def __init__(
        self, runner, dataloader, evaluator, fp16=False, dump=None
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(dump)

    @torch.no_grad()
    def run_iter(self, idx, data_batch) -> None:
        """``TestLoop.run_iter`` that also keeps the captions."""
        self.runner.call_hook(
            'before_test_iter', batch_idx=idx, data_batch=data_batch
        )
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.test_step(data_batch)
        self._record(outputs)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_test_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs,
        )

    def run(self) -> dict:
        self.predictions = {}
        metrics = super().run()
        self._write_dump()
        return metrics
