"""Validation and test loops for text-video retrieval (one shared body)."""

from typing import Dict, Optional, Tuple, Union

import numpy as np
from mmengine.dist import (
    gather_object,
    get_rank,
    get_world_size,
    is_main_process,
)
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from torch.utils.data import DataLoader

from hbi.registry import LOOPS

from .retrieval_evaluation import (
    BlockBatchSampler,
    encode_items,
    gather_rows,
    similarity_rows,
)
from .retrieval_reranking import rerank_both_directions, score_local_candidates


def _view_loader(
    loader: DataLoader, modality: str, block_size: Optional[int] = None
) -> DataLoader:
    """A loader like ``loader`` over the dataset's text-only or video-only
    view, split across ranks by :class:`BlockBatchSampler` (blocks of
    ``block_size`` items, default one batch), without shuffling or
    padding."""
    view = loader.dataset.with_modality(modality)
    sampler = BlockBatchSampler(
        len(view),
        block_size or loader.batch_size,
        loader.batch_size,
        get_rank(),
        get_world_size(),
    )
    return DataLoader(
        view,
        batch_sampler=sampler,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        worker_init_fn=loader.worker_init_fn,
        pin_memory=loader.pin_memory,
    )


def _check_all(ids: np.ndarray, name: str) -> None:
    if not np.array_equal(ids, np.arange(len(ids))):
        raise RuntimeError(
            f'evaluation lost some {name}: got indices '
            f'{ids[:10]}... of {len(ids)}'
        )


def score_texts(
    model,
    loader: DataLoader,
    video_feats: dict,
    num_videos: int,
    loop,
    rerank: bool = False,
) -> Tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[dict]]:
    """Encode this rank's text blocks of ``loader``'s text view, score them
    against all videos and gather the rows on rank 0; with ``rerank``, also
    score this rank's re-ranking candidates and re-rank on rank 0
    (:mod:`hbi.engine.runner.retrieval_reranking`).

    Returns:
        tuple: ``(similarity [Nt, Nv], text_to_video [Nt], reranked)`` on
        rank 0 (``reranked``: ``{'t2v', 'v2t'}`` matrices, or None without
        ``rerank``), ``(None, None, None)`` on the other ranks.
    """
    text_loader = _view_loader(loader, 'text', loop.text_block_size)
    ids, feats, to_video = encode_items(
        model, text_loader, 'text', loop.fp16, gather=False
    )
    blocks, offset = [], 0
    for start, stop in text_loader.batch_sampler.blocks():
        blocks.append((offset, offset + stop - start))
        offset += stop - start
    rows = similarity_rows(
        model, feats, video_feats, blocks, num_videos, loop.block_size
    )
    pairs = None
    if rerank:
        pairs = score_local_candidates(
            model, feats, video_feats, rows, ids, loop.rerank_batch_size
        )
    del feats
    num_texts = len(text_loader.dataset)
    sim = gather_rows(ids, rows, num_texts)
    text_to_video = gather_rows(ids, to_video, num_texts)
    if not rerank:
        return sim, text_to_video, None
    parts = gather_object(pairs) if get_world_size() > 1 else [pairs]
    if sim is None:
        return None, None, None
    pairs = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
    reranked = rerank_both_directions(
        sim, pairs, model.reranker.k, model.reranker.weight
    )
    return sim, text_to_video, reranked


def run_retrieval_evaluation(
    loop, stage: str, dump: Optional[str] = None
) -> Dict[str, float]:
    """Encode texts and videos once each, score the matrix split by text
    rows across ranks, and evaluate it on rank 0; calls the runner's
    ``before/after_{stage}`` hooks."""
    runner = loop.runner
    runner.call_hook(f'before_{stage}')
    runner.call_hook(f'before_{stage}_epoch')
    model = (
        runner.model.module if is_model_wrapper(runner.model) else runner.model
    )
    model.eval()
    video_ids, video_feats, _ = encode_items(
        model, _view_loader(loop.dataloader, 'video'), 'video', loop.fp16
    )
    _check_all(video_ids, 'videos')
    rerank = loop.rerank and getattr(model, 'reranker', None) is not None
    sim, text_to_video, reranked = score_texts(
        model, loop.dataloader, video_feats, len(video_ids), loop, rerank
    )
    bank_sim = None
    if loop.bank_dataloader is not None:
        if not isinstance(loop.bank_dataloader, DataLoader):
            loop.bank_dataloader = runner.build_dataloader(
                loop.bank_dataloader, seed=runner.seed
            )
        bank_sim, _, _ = score_texts(
            model, loop.bank_dataloader, video_feats, len(video_ids), loop
        )
        if bank_sim is not None:
            runner.logger.info(
                'QB-Norm query bank: '
                f'{bank_sim.shape[0]} captions scored against '
                f'the {bank_sim.shape[1]} evaluated videos'
            )
    del video_feats
    if is_main_process():
        if dump:
            dataset = loop.dataloader.dataset
            extra = {} if bank_sim is None else dict(bank_similarity=bank_sim)
            if reranked is not None:
                extra.update(
                    reranked_t2v=reranked['t2v'], reranked_v2t=reranked['v2t']
                )
            np.savez_compressed(
                dump,
                similarity=sim,
                text_to_video=text_to_video,
                video_ids=np.asarray([v['video_id'] for v in dataset.videos]),
                captions=np.asarray([t['caption'] for t in dataset.texts]),
                **extra,
            )
            runner.logger.info(f'similarity matrix and ids dumped to {dump}')
        loop.evaluator.process(
            data_samples=[
                dict(
                    similarity=sim,
                    text_to_video=text_to_video,
                    bank_similarity=bank_sim,
                    reranked=reranked,
                )
            ],
            data_batch=None,
        )
    # RetrievalMetric computes on rank 0 and broadcasts to the others.
    metrics = loop.evaluator.evaluate(1)
    runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
    runner.call_hook(f'after_{stage}')
    return metrics


class _RetrievalLoopMixin:
    """Arguments shared by the retrieval val and test loops."""

    def _setup(
        self,
        block_size: int,
        text_block_size: int,
        bank_dataloader: Union[DataLoader, dict, None],
        dump: Optional[str] = None,
        rerank: bool = True,
        rerank_batch_size: int = 256,
    ) -> None:
        for name, value in (
            ('block_size', block_size),
            ('text_block_size', text_block_size),
            ('rerank_batch_size', rerank_batch_size),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{type(self).__name__}: `{name}` must be a '
                    f'positive int, got {value!r}'
                )
        self.block_size, self.text_block_size = block_size, text_block_size
        self.bank_dataloader, self.dump = bank_dataloader, dump
        self.rerank, self.rerank_batch_size = rerank, rerank_batch_size


_ARGS_DOC = """
    Args:
        runner, dataloader, evaluator, fp16: as
        :class:`mmengine.runner.{base}`. block_size (int): Videos per block of
        the similarity matrix.
            Defaults to 1024.
        text_block_size (int): Texts per block of the similarity matrix;
            text blocks are the unit shared out among ranks (block ``b`` to
            rank ``b % world``), so use at most ``N_t / world`` to keep every
            rank busy. The matrix does not depend on the number of ranks.
            Defaults to 256.
        bank_dataloader (DataLoader | dict, optional): A loader (config)
            whose captions form the QB-Norm query bank (e.g. the training
            captions); their similarities to the evaluated videos are passed
            to the metric as ``bank_similarity`` (``RetrievalMetric(
            rescorers=['qb_norm'], qb_norm_bank='given')``). Defaults to None.
        rerank (bool): If the model has a ``reranker``, also run the
            re-ranking stage and report its metrics under ``rerank/``
            (docs/en/advanced_guides/reranking.md). Defaults to True.
        rerank_batch_size (int): Pairs per ``model.rerank_scores`` call.
            Defaults to 256.
"""


@LOOPS.register_module()
class RetrievalValLoop(_RetrievalLoopMixin, ValLoop):
    __doc__ = (
        'Validation for retrieval: items encoded once, matrix split '
        'by text blocks across ranks.\n' + _ARGS_DOC.format(base='ValLoop')
    )

    def __init__(
        self,
        runner,
        dataloader,
        evaluator,
        fp16: bool = False,
        block_size: int = 1024,
        text_block_size: int = 256,
        bank_dataloader: Union[DataLoader, dict, None] = None,
        rerank: bool = True,
        rerank_batch_size: int = 256,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(
            block_size,
            text_block_size,
            bank_dataloader,
            rerank=rerank,
            rerank_batch_size=rerank_batch_size,
        )

    def run(self) -> Dict[str, float]:
        return run_retrieval_evaluation(self, 'val')


@LOOPS.register_module()
class RetrievalTestLoop(_RetrievalLoopMixin, TestLoop):
    __doc__ = (
        'Test for retrieval; like :class:`RetrievalValLoop`.\n'
        + _ARGS_DOC.format(base='TestLoop')
        + '        dump (str, optional): A ``.npz`` path receiving the '
        'matrix,\n            ``text_to_video``, video ids, captions '
        'and the QB-Norm bank\n            matrix if any. Defaults to '
        'None. With the re-ranking stage it also holds\n            '
        '``reranked_t2v`` and ``reranked_v2t``.\n'
    )

    def __init__(
        self,
        runner,
        dataloader,
        evaluator,
        fp16: bool = False,
        block_size: int = 1024,
        text_block_size: int = 256,
        bank_dataloader: Union[DataLoader, dict, None] = None,
        dump: Optional[str] = None,
        rerank: bool = True,
        rerank_batch_size: int = 256,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(
            block_size,
            text_block_size,
            bank_dataloader,
            dump,
            rerank,
            rerank_batch_size,
        )

    def run(self) -> Dict[str, float]:
        return run_retrieval_evaluation(self, 'test', self.dump)
