"""Validation and test loops for text-video retrieval (one shared body)."""
from typing import Dict, Optional

import numpy as np
from mmengine.dataset import DefaultSampler
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from torch.utils.data import DataLoader

from hbi.registry import LOOPS
from .retrieval_evaluation import encode_items, similarity_matrix


def _view_loader(loader: DataLoader, modality: str) -> DataLoader:
    """A loader like ``loader`` over the dataset's text-only or video-only
    view, split across ranks without shuffling."""
    view = loader.dataset.with_modality(modality)
    return DataLoader(
        view,
        batch_size=loader.batch_size,
        sampler=DefaultSampler(view, shuffle=False),
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        worker_init_fn=loader.worker_init_fn,
        pin_memory=loader.pin_memory)


def run_retrieval_evaluation(loop, stage: str, block_size: int,
                             dump: Optional[str] = None) -> Dict[str, float]:
    """Encode texts and videos once each, fill the similarity matrix, and
    evaluate it; calls the runner's ``before/after_{stage}`` hooks."""
    runner = loop.runner
    runner.call_hook(f'before_{stage}')
    runner.call_hook(f'before_{stage}_epoch')
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    model.eval()
    text_ids, text_feats, text_to_video = encode_items(
        model, _view_loader(loop.dataloader, 'text'), 'text', loop.fp16)
    video_ids, video_feats, _ = encode_items(
        model, _view_loader(loop.dataloader, 'video'), 'video', loop.fp16)
    for name, ids in (('texts', text_ids), ('videos', video_ids)):
        if not np.array_equal(ids, np.arange(len(ids))):
            raise RuntimeError(f'evaluation lost some {name}: got indices '
                               f'{ids[:10]}... of {len(ids)}')
    sim = similarity_matrix(model, text_feats, video_feats, len(text_ids),
                            len(video_ids), block_size)
    if dump and is_main_process():
        dataset = loop.dataloader.dataset
        np.savez_compressed(
            dump, similarity=sim, text_to_video=text_to_video,
            video_ids=np.asarray([v['video_id'] for v in dataset.videos]),
            captions=np.asarray([t['caption'] for t in dataset.texts]))
        runner.logger.info(f'similarity matrix and ids dumped to {dump}')
    loop.evaluator.process(
        data_samples=[dict(similarity=sim, text_to_video=text_to_video)],
        data_batch=None)
    metrics = loop.evaluator.evaluate(1)
    runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
    runner.call_hook(f'after_{stage}')
    return metrics


@LOOPS.register_module()
class RetrievalValLoop(ValLoop):
    """Validation for retrieval: items encoded once, matrix in blocks.

    Args:
        runner, dataloader, evaluator, fp16: as :class:`mmengine.runner.ValLoop`.
        block_size (int): Texts (and videos) per block of the similarity
            matrix. Defaults to 1024.
    """

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False,
                 block_size: int = 1024) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.block_size = block_size

    def run(self) -> Dict[str, float]:
        return run_retrieval_evaluation(self, 'val', self.block_size)


@LOOPS.register_module()
class RetrievalTestLoop(TestLoop):
    """Test for retrieval; like :class:`RetrievalValLoop`, plus ``dump``: a
    ``.npz`` path receiving the matrix, ``text_to_video``, video ids and
    captions."""

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False,
                 block_size: int = 1024, dump: Optional[str] = None) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.block_size, self.dump = block_size, dump

    def run(self) -> Dict[str, float]:
        return run_retrieval_evaluation(self, 'test', self.block_size,
                                        self.dump)
