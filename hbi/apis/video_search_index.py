"""Text-to-video search over a large gallery: index once, query many times."""

import hashlib
import logging
import os.path as osp
from glob import glob
from typing import (
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    Union,
)

import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader
from tqdm import tqdm

from hbi.datasets.transforms.compose import build_transforms
from hbi.datasets.transforms.video_reader import VideoDecodeError
from hbi.models.retrievers import load_model_checkpoint
from hbi.registry import MODELS
from hbi.utils.distributed import map_tensors
from hbi.utils.pretrained_files import weights_from_checkpoint

from .feature_store import FeatureStore
from .first_stage import first_stage_vectors
from .search_inputs import (
    RecordDataset,
    collate_decoded,
)
from .search_queries import SearchHit, VideoQueryMixin
from .vector_search import Backend, InnerProductSearch

__all__ = ['VideoSearchIndex', 'SearchHit']


class VideoSearchIndex(VideoQueryMixin):
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
        self.video_pipeline = build_transforms(list(video_pipeline) + [pack])
        self.text_pipeline = build_transforms(list(text_pipeline) + [pack])
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
            RecordDataset(records, pipeline),
            batch_sampler=batches,
            num_workers=self.num_workers,
            collate_fn=collate_decoded,
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
