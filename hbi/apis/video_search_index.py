"""Text-to-video search over a large gallery: index once, query many times."""

import hashlib
import logging
import os.path as osp
from glob import glob
from typing import (
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from hbi.datasets.transforms.video_reader import VideoDecodeError
from hbi.models.rerankers import rerank_ranked_lists
from hbi.models.retrievers import load_model_checkpoint
from hbi.registry import MODELS, TRANSFORMS
from hbi.utils.distributed import concat_tensors, map_tensors
from hbi.utils.pretrained_files import weights_from_checkpoint

from .feature_store import FeatureStore
from .first_stage import first_stage_vectors
from .vector_search import Backend, InnerProductSearch

__all__ = ['VideoSearchIndex', 'SearchHit']


class SearchHit(NamedTuple):
    """One result: the video id, its gallery index, its score and whether
    the model's reranker re-scored it.

    ``score`` is ``fused + weight * second`` for a re-ranked hit and the
    fused similarity otherwise; re-ranked hits come first.
    """

    video_id: str
    index: int
    score: float
    reranked: bool = False


class _Records(Dataset):
    """Items built from records by a pipeline and the packing transform; a
    video that cannot be decoded gives ``VideoDecodeError`` itself (raised
    in the main process, where its type survives)."""

    def __init__(self, records: List[dict], pipeline: Compose) -> None:
        self.records, self.pipeline = records, pipeline

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, idx: int) -> Union[dict, VideoDecodeError]:
        try:
            return self.pipeline(dict(self.records[idx]))
        except VideoDecodeError as e:
            return e


def _collate(items: list) -> Tuple[List[int], Optional[dict], list]:
    """(positions in the batch that decoded, their collated batch, the
    errors of the others)."""
    kept = [i for i, x in enumerate(items) if not isinstance(x, Exception)]
    errors = [x for x in items if isinstance(x, Exception)]
    batch = pseudo_collate([items[i] for i in kept]) if kept else None
    return kept, batch, errors


def _check_count(name: str, value: Optional[int], none_ok: bool) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{name} must be a positive integer'
            + (' or None' if none_ok else '')
            + f', got {value!r}'
        )


def _compose(cfgs: Sequence[Union[dict, Callable]]) -> Compose:
    return Compose(
        [TRANSFORMS.build(c) if isinstance(c, dict) else c for c in cfgs]
    )


class VideoSearchIndex:
    """Index videos once (resumable), answer text queries in two stages.

    Indexing stores, per video, the model's full per-level features and a
    first-stage vector (:func:`~hbi.apis.first_stage.first_stage_vectors`)
    in a :class:`~hbi.apis.feature_store.FeatureStore`. Videos are encoded
    in batches of ``batch_size`` on a fixed grid over the given list, one
    shard per batch, so an interrupted run resumes with the same batches
    (same features, bit for bit) and never re-encodes a stored video.

    A query is answered by (1) the ``rerank_depth`` best videos by inner
    product of first-stage vectors (:class:`InnerProductSearch`, faiss when
    installed) and (2) ``model.similarity(...)['fused']`` on those
    candidates, scored in ascending gallery order in blocks of
    ``block_size``; ties rank the lower gallery index first. With
    ``rerank_depth >= len(index)`` the result is exactly
    :meth:`search_exhaustive`'s. If the model has a ``reranker`` (config
    ``model.reranker=dict(type=..., k=..., weight=...)``), :meth:`search`
    then runs the re-ranking stage on the ``reranker.k`` best of those
    (:meth:`rerank`), the same stage as the test loop's
    (``docs/en/advanced_guides/reranking.md``).

    Args:
        model: A retriever with ``encode_text``, ``encode_video``,
            ``similarity`` and ``data_preprocessor`` (in eval mode).
        index_dir (str): Folder of the feature store.
        video_pipeline (Sequence[dict]): Test-time video transforms (e.g.
            the test dataset's ``video_pipeline``).
        text_pipeline (Sequence[dict]): Text transforms (``TokenizeText``).
        pack (dict, optional): Packing transform. Defaults to
            ``PackVideoTextInputs``.
        batch_size (int): Videos / queries per encoder batch. Defaults to 8.
        num_workers (int): Decoding workers. Defaults to 0.
        block_size (int): Videos per similarity call. Defaults to 1024.
        first_stage (str): ``'auto'``, ``'faiss'`` or ``'torch'``, see
            :class:`InnerProductSearch`. Defaults to ``'auto'``.
        faiss_factory (str): faiss index description. Defaults to ``'Flat'``.
        rerank_batch_size (int): Pairs per ``model.rerank_scores`` call.
            Defaults to 256.
    """

    def __init__(
        self,
        model,
        index_dir: str,
        video_pipeline: Sequence[dict],
        text_pipeline: Sequence[dict],
        pack: Optional[dict] = None,
        batch_size: int = 8,
        num_workers: int = 0,
        block_size: int = 1024,
        first_stage: Backend = 'auto',
        faiss_factory: str = 'Flat',
        rerank_batch_size: int = 256,
    ) -> None:
        self.model = model.eval()
        self.rerank_batch_size = rerank_batch_size
        pack = pack or dict(type='PackVideoTextInputs')
        self.video_pipeline = _compose(list(video_pipeline) + [pack])
        self.text_pipeline = _compose(list(text_pipeline) + [pack])
        self.batch_size, self.num_workers = batch_size, num_workers
        self.block_size = block_size
        self.first_stage, self.faiss_factory = first_stage, faiss_factory
        digest = hashlib.sha1(
            repr((list(video_pipeline), list(text_pipeline), pack)).encode()
        )
        for key, value in sorted(model.state_dict().items()):
            digest.update(key.encode())
            digest.update(
                value.detach()
                .cpu()
                .reshape(-1)
                .contiguous()
                .view(torch.uint8)
                .numpy()
                .tobytes()
            )
        self.store = FeatureStore(index_dir, digest.hexdigest())
        self._search: Optional[InnerProductSearch] = None

    @classmethod
    def from_config(
        cls,
        config: Union[str, Config],
        checkpoint: Optional[str],
        index_dir: str,
        device: str = 'cpu',
        **kwargs,
    ) -> 'VideoSearchIndex':
        """Build the model from ``config`` (weights from ``checkpoint``: hbi's
        own, a released HBI / CLIP4Clip file or an OpenAI CLIP file, see
        :mod:`hbi.models.retrievers.model_checkpoint`) and take the pipelines
        of ``config.test_dataloader.dataset``."""
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        init_default_scope(cfg.get('default_scope', 'hbi'))
        if checkpoint:  # it holds the weights: no pretrained file is read
            with weights_from_checkpoint():
                model = MODELS.build(cfg.model)
            load_model_checkpoint(model, checkpoint)
        else:
            model = MODELS.build(cfg.model)
        data = cfg.test_dataloader.dataset
        kwargs.setdefault('batch_size', cfg.test_dataloader.batch_size)
        return cls(
            model.to(device),
            index_dir,
            data.video_pipeline,
            data.text_pipeline,
            data.get('pack'),
            **kwargs,
        )

    # ------------------------------------------------------------ indexing
    def __len__(self) -> int:
        return len(self.store)

    @property
    def video_ids(self) -> List[str]:
        """Ids of the indexed videos, in gallery order."""
        return self.store.ids

    def _encode(
        self,
        records: List[dict],
        pipeline: Compose,
        batches: List[List[int]],
        modality: str,
    ):
        """Yield (positions, features on CPU or None, decoding errors) per
        batch."""
        loader = DataLoader(
            _Records(records, pipeline),
            batch_sampler=batches,
            num_workers=self.num_workers,
            collate_fn=_collate,
        )
        with torch.no_grad():
            for positions, (kept, batch, errors) in zip(batches, loader):
                positions = [positions[i] for i in kept]
                if batch is None:
                    yield positions, None, errors
                    continue
                inputs = self.model.data_preprocessor(batch, False)['inputs']
                if modality == 'video':
                    out = self.model.encode_video(
                        inputs['frames'], inputs['frame_mask']
                    )
                else:
                    out = self.model.encode_text(
                        inputs['input_ids'], inputs['attention_mask']
                    )
                yield (
                    positions,
                    map_tensors(lambda t: t.detach().float().cpu(), out),
                    errors,
                )

    def index_videos(
        self,
        paths: Sequence[str],
        video_ids: Optional[Sequence[str]] = None,
        on_batch: Optional[Callable[[List[str]], None]] = None,
        skip_invalid: bool = False,
    ) -> Dict[str, int]:
        """Encode and store the videos not stored yet.

        Args:
            paths (Sequence[str]): Video files.
            video_ids (Sequence[str], optional): Their ids. Defaults to the
                file names without extension.
            on_batch (callable, optional): Called with the ids of each batch
                once it is stored (progress, or a test's interruption).
            skip_invalid (bool): Leave out a video that cannot be decoded
                (counted, and logged with its reason at the end; it is tried
                again by the next run) instead of stopping at it. Without
                it the error names the video; the batches stored before it
                are kept. Defaults to False.

        Returns:
            dict: ``indexed`` (encoded now), ``skipped`` (already stored) and
            ``invalid`` (left out: they cannot be decoded).

        Raises:
            VideoDecodeError: A video that cannot be decoded, without
                ``skip_invalid``.
        """
        if video_ids is None:
            video_ids = [osp.splitext(osp.basename(p))[0] for p in paths]
        if len(video_ids) != len(paths) or len(set(video_ids)) != len(paths):
            raise ValueError(
                'index_videos: video_ids must be unique, one per '
                f'path ({len(paths)} paths, {len(video_ids)} ids, '
                f'{len(set(video_ids))} distinct)'
            )
        stored = set(self.store.ids)
        records = [
            dict(
                item_modality='video',
                video_id=v,
                video_path=p,
                video_index=i,
                text_index=-1,
                caption='',
                start=None,
                end=None,
            )
            for i, (v, p) in enumerate(zip(video_ids, paths))
        ]
        grid = [
            list(range(s, min(s + self.batch_size, len(paths))))
            for s in range(0, len(paths), self.batch_size)
        ]
        batches = [[i for i in b if video_ids[i] not in stored] for b in grid]
        batches = [b for b in batches if b]
        todo = sum(len(b) for b in batches)
        print_log(
            f'index {self.store.root}: {len(paths) - todo} of '
            f'{len(paths)} videos already indexed, encoding {todo}',
            logger='current',
        )
        progress = tqdm(total=todo, desc='index videos', unit='video')
        invalid: List[VideoDecodeError] = []
        for positions, feats, errors in self._encode(
            records, self.video_pipeline, batches, 'video'
        ):
            if errors and not skip_invalid:
                progress.close()
                error = errors[0]
                raise VideoDecodeError(
                    error.path,
                    f'{error.reason} (the {len(self)} videos indexed so far '
                    'are kept; pass --skip-invalid / skip_invalid=True to '
                    'leave such videos out)',
                    error.video_id,
                )
            invalid += errors
            ids = [video_ids[i] for i in positions]
            if ids:
                self.store.add(ids, feats, first_stage_vectors(feats, 'video'))
                self._search = None
            progress.update(len(ids) + len(errors))
            if on_batch is not None:
                on_batch(ids)
        progress.close()
        if invalid:
            print_log(
                f'index {self.store.root}: {len(invalid)} of {todo} videos '
                'cannot be decoded and were left out: '
                + '; '.join(
                    f'{e.video_id} ({e.path}): {e.reason}'
                    for e in invalid[:10]
                )
                + (
                    f' and {len(invalid) - 10} more'
                    if len(invalid) > 10
                    else ''
                ),
                logger='current',
                level=logging.WARNING,
            )
        return dict(
            indexed=todo - len(invalid),
            skipped=len(paths) - todo,
            invalid=len(invalid),
        )

    def index_folder(
        self, folder: str, ext: str = '.mp4', **kwargs
    ) -> Dict[str, int]:
        """:meth:`index_videos` on ``folder/*{ext}``, sorted by name."""
        paths = sorted(glob(osp.join(folder, f'*{ext}')))
        if not paths:
            raise FileNotFoundError(
                f'index_folder: no *{ext} file in {folder!r}'
            )
        return self.index_videos(paths, **kwargs)

    # ------------------------------------------------------------- queries
    def encode_queries(self, queries: Sequence[str]) -> Dict[str, Tensor]:
        """The model's text features of ``queries`` (CPU, float)."""
        records = [
            dict(
                item_modality='text',
                caption=q,
                text_index=i,
                video_index=-1,
                video_id='',
            )
            for i, q in enumerate(queries)
        ]
        batches = [
            list(range(s, min(s + self.batch_size, len(records))))
            for s in range(0, len(records), self.batch_size)
        ]
        self._warn_truncated(queries)
        return concat_tensors(
            [
                f
                for _, f, _ in self._encode(
                    records, self.text_pipeline, batches, 'text'
                )
            ]
        )

    def _warn_truncated(self, queries: Sequence[str]) -> None:
        """Log each query longer than the tokenizer's ``max_length``: the
        model reads only its first words."""
        for step in self.text_pipeline.transforms:
            tokenizer = getattr(step, 'tokenizer', None)
            if tokenizer is None or not hasattr(step, 'max_length'):
                continue
            limit = step.max_length - 2  # start and end tokens
            for query, words in zip(queries, tokenizer.tokenize(queries)):
                if len(words) > limit:
                    print_log(
                        f'query {query!r} has {len(words)} tokens; the '
                        f'model reads the first {limit} (max_length='
                        f'{step.max_length}): '
                        f'{tokenizer.decode([words[:limit]])[0]!r}; the rest '
                        'is ignored',
                        logger='current',
                        level=logging.WARNING,
                    )

    def _scores(
        self, text: Dict[str, Tensor], query: int, video: Dict[str, Tensor]
    ) -> np.ndarray:
        device = next(self.model.parameters()).device
        t = map_tensors(lambda x: x[query : query + 1].to(device), text)
        v = map_tensors(lambda x: x.to(device), video)
        with torch.no_grad():
            return (
                self.model.similarity(t, v)['fused'][0].float().cpu().numpy()
            )

    def _top(
        self, scores: np.ndarray, candidates: np.ndarray, k: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        # candidates ascend, so a stable sort ranks ties by gallery index
        order = np.argsort(-scores, kind='stable')[:k]
        return candidates[order], scores[order]

    def search_exhaustive(
        self, text: Dict[str, Tensor], k: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Top-``k`` by the full similarity against every indexed video.

        Returns:
            tuple[np.ndarray, np.ndarray]: gallery indices and scores.

        Shape:
            - outputs: (Q, min(k, N)).
        """
        num_queries = next(iter(text.values())).shape[0]
        scores = np.empty((num_queries, len(self)), dtype=np.float32)
        for c in range(0, len(self), self.block_size):
            block = self.store.features(
                np.arange(c, min(c + self.block_size, len(self)))
            )
            for q in range(num_queries):
                scores[q, c : c + self.block_size] = self._scores(
                    text, q, block
                )
        everything = np.arange(len(self))
        tops = [self._top(row, everything, k) for row in scores]
        return np.stack([t[0] for t in tops]), np.stack([t[1] for t in tops])

    def search_two_stage(
        self, text: Dict[str, Tensor], k: int, rerank_depth: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        """First stage to ``rerank_depth`` candidates, then the full
        similarity on them; same outputs as :meth:`search_exhaustive`."""
        if len(self) == 0:
            raise ValueError(
                f'index {self.store.root!r} is empty: index videos first'
            )
        if self._search is None:
            self._search = InnerProductSearch(
                self.store.first_stage(), self.first_stage, self.faiss_factory
            )
        _, candidates = self._search.search(
            first_stage_vectors(text, 'text'), rerank_depth
        )
        indices, scores = [], []
        for q, cand in enumerate(candidates):
            cand = np.sort(cand[cand >= 0])  # faiss pads with -1
            row = np.concatenate(
                [
                    self._scores(
                        text,
                        q,
                        self.store.features(cand[c : c + self.block_size]),
                    )
                    for c in range(0, len(cand), self.block_size)
                ]
            )
            top = self._top(row, cand, k)
            indices.append(top[0])
            scores.append(top[1])
        return np.stack(indices), np.stack(scores)

    def rerank(
        self, text: Dict[str, Tensor], indices: np.ndarray, scores: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The re-ranking stage on ranked results of the full similarity.

        Each query's first ``model.reranker.k`` results are re-scored by
        ``model.rerank_scores`` and ordered by ``fused + weight * second``
        (ties keep their fused order); the other results follow, in their
        fused order.

        Args:
            text (dict[str, Tensor]): Encoded queries.
            indices (np.ndarray): Gallery indices, best first per query
                (:meth:`search_exhaustive` / :meth:`search_two_stage`).
            scores (np.ndarray): Their fused scores.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: indices, scores (see
            :class:`SearchHit`) and whether each hit was re-ranked.

        Shape:
            - indices, scores, outputs: (Q, n).
        """
        return rerank_ranked_lists(
            self.model,
            text,
            indices,
            scores,
            self.store.features,
            self.rerank_batch_size,
        )

    def search(
        self,
        queries: Sequence[str],
        k: int = 10,
        rerank_depth: Optional[int] = 100,
        rerank: bool = True,
    ) -> List[List[SearchHit]]:
        """The ``k`` best videos of each text query.

        Args:
            queries (Sequence[str]): Free-text queries.
            k (int): Results per query. Defaults to 10.
            rerank_depth (int, optional): First-stage candidates re-ranked by
                the full similarity; None = exhaustive. Defaults to 100.
            rerank (bool): Run the model's re-ranking stage if it has a
                ``reranker`` (:meth:`rerank`). Defaults to True.

        Returns:
            list[list[SearchHit]]: Best first, per query (``min(k, len)``).

        Raises:
            ValueError: ``k`` or ``rerank_depth`` is not a positive integer.
        """
        _check_count('k', k, none_ok=False)
        _check_count('rerank_depth', rerank_depth, none_ok=True)
        text = self.encode_queries(queries)
        reranker = getattr(self.model, 'reranker', None) if rerank else None
        wanted = k if reranker is None else max(k, reranker.k)
        indices, scores = (
            self.search_exhaustive(text, wanted)
            if rerank_depth is None
            else self.search_two_stage(text, wanted, rerank_depth)
        )
        flags = np.zeros(indices.shape, dtype=bool)
        if reranker is not None:
            indices, scores, flags = self.rerank(text, indices, scores)
        ids = self.store.ids
        return [
            [
                SearchHit(ids[i], int(i), float(s), bool(f))
                for i, s, f in zip(*row)
            ][:k]
            for row in zip(indices, scores, flags)
        ]
