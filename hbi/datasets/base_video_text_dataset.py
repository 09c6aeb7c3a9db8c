"""A dataset of unique videos and their captions, iterated as pairs, texts
or videos."""

import atexit
import copy
import logging
import os
import os.path as osp
import shutil
import tempfile
from collections import Counter
from typing import Callable, Literal, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose
from mmengine.fileio import join_path
from mmengine.logging import print_log

from hbi.registry import TRANSFORMS

from .segments import InvalidSegments
from .side_annotations import (
    attach_side_annotations,
    check_tag_needs,
    provided_side_inputs,
)
from .transforms.formatting import MODALITY_GROUPS, Modality
from .transforms.video_reader import VideoDecodeError

CaptionSampling = Literal['all', 'one_per_video']
DATA_HELP = (
    'Generate the synthetic world with `python tools/data/synthetic/'
    'generate_synthetic_world.py --out data/synthetic`, or prepare the real '
    'data as described in docs/en/data_preparation.md.'
)


class TooManyInvalidVideosError(RuntimeError):
    """Skipping (``skip_invalid=True``) found no decodable video within
    ``max_refetch`` tries, or more than ``max_invalid`` in an epoch."""


def _build_transforms(cfgs: Sequence[Union[dict, Callable]]) -> Compose:
    # Built with hbi's registry so that names resolve without a default
    # scope (``mmaction.Resize`` etc. still resolve across scopes).
    return Compose(
        [
            TRANSFORMS.build(cfg) if isinstance(cfg, dict) else cfg
            for cfg in cfgs
        ]
    )


class BaseVideoTextDataset(BaseDataset):
    """Unique ``videos`` and their captions ``texts``, viewed by modality.

    Subclasses implement :meth:`load_annotations`, returning

    - ``videos``: dicts with ``video_id``, ``video_path`` and optional
      ``start``/``end`` (seconds, ``None`` = whole video);
    - ``texts``: dicts with ``caption`` and ``video_index`` (into ``videos``).

    Videos may also carry ``duration`` (seconds) and ``segments`` (see
    :mod:`hbi.datasets.segments`), given by the annotations (ActivityNet,
    DiDeMo) or by ``segment_file``; video items then carry ``segments``
    for the pipeline. With ``tag_file`` every text carries
    ``caption_tags`` (its part-of-speech tags aligned to CLIP's tokens,
    see :mod:`hbi.datasets.caption_tags`).

    Items depend on ``modality``: ``'pair'`` gives (video, caption) items,
    every caption once per epoch (``caption_sampling='all'``) or one random
    caption per video (``'one_per_video'``, chosen by
    ``np.random.default_rng((seed, epoch, idx))`` so that it is deterministic;
    call :meth:`set_epoch` each epoch, e.g. from a hook; with
    ``persistent_workers=True`` workers keep their copy of ``epoch``, so use
    non-persistent workers for this mode); ``'text'`` gives every caption and
    decodes no video; ``'video'`` gives every video once. :meth:`with_modality`
    returns a view with another modality sharing the annotations.

    ``__getitem__`` runs ``video_pipeline`` (if the item has a video),
    ``text_pipeline`` (if it has a text), then ``pack``. Items carry
    ``video_id``, ``video_index``, ``text_index`` (-1 for a video-only item),
    ``caption`` (``''`` for a video-only item) and ``item_modality``.

    Args:
        ann_file (str): Annotation file, relative to ``data_root``.
        data_root (str): Root folder; must exist if given.
        data_prefix (dict): ``video`` folder, relative to ``data_root``.
            Defaults to ``dict(video='videos')``.
        video_ext (str): Video file extension. Defaults to ``'.mp4'``.
        video_pipeline (Sequence[dict]): Transforms producing ``imgs`` from
            ``video_path`` (e.g. ``LoadVideoFrames``, ``mmaction.Resize``).
        text_pipeline (Sequence[dict]): Transforms of ``caption`` (e.g.
            ``TokenizeText``).
        pack (dict): The packing transform. Defaults to
            ``dict(type='PackVideoTextInputs')``.
        modality (str): ``'pair'``, ``'text'`` or ``'video'``.
            Defaults to ``'pair'``.
        caption_sampling (str): ``'all'`` or ``'one_per_video'`` (pairs
            only). Defaults to ``'all'``.
        seed (int): Seed of ``'one_per_video'``. Defaults to 0.
        skip_invalid (bool): In training (``test_mode=False``), skip a video
            that cannot be decoded (warning naming it; another index is
            fetched, as mmengine does) instead of raising. Every skip is
            counted: it is appended to a small file per process (DataLoader
            workers included) under ``invalid_log_dir``, and
            :meth:`pop_invalid_videos` gathers them; ``HBIRunner`` always
            runs ``InvalidVideoReportHook``, which reports them after every
            epoch. When ``max_refetch`` tries in a row all fail, training
            stops with :class:`TooManyInvalidVideosError` naming the count
            and the first reasons. Evaluation never skips.
            Defaults to False.
        max_invalid (int, optional): With ``skip_invalid``, stop (at the end
            of the epoch, after the report) when more distinct videos than
            this were skipped in one epoch; 0 makes any skip an error.
            Defaults to None (no limit).
        invalid_log_dir (str, optional): Folder in which a unique sub-folder
            for the skip records is made (e.g. the work dir); a temporary
            folder if None. Removed at exit by the process that made it.
        tag_file (str): The caption tag file of the annotation file
            (written by ``tools/data/tag_captions.py``), relative to
            ``data_root``; needed by ``ContentWordMask`` and
            ``SemanticTextMask``. Defaults to ``''`` (no tags).
        segment_file (str): An ActivityNet-format file of timestamped
            sentences per video id, relative to ``data_root``, for
            datasets whose own annotations have no timestamps. Defaults to
            ``''``.
        invalid_segments (str): ``'skip'`` (logged with the video ids) or
            ``'error'`` for a segment outside its video or malformed.
            Defaults to ``'skip'``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``test_mode``, ``lazy_init``, ``indices``, ``serialize_data``,
            ``max_refetch``, ``metainfo``).

    Raises:
        FileNotFoundError: If ``data_root`` does not exist (the message says
            how to generate or prepare data).
    """

    #: Attributes naming further annotation files, joined with ``data_root``
    #: like ``ann_file`` (set by subclasses, e.g. ``('list_file', )``).
    extra_ann_files: tuple[str, ...] = ()

    def __init__(
        self,
        ann_file: str = '',
        data_root: str = '',
        data_prefix: Optional[dict] = None,
        video_ext: str = '.mp4',
        video_pipeline: Sequence[Union[dict, Callable]] = (),
        text_pipeline: Sequence[Union[dict, Callable]] = (),
        pack: Optional[dict] = None,
        modality: Modality = 'pair',
        caption_sampling: CaptionSampling = 'all',
        seed: int = 0,
        skip_invalid: bool = False,
        max_invalid: Optional[int] = None,
        invalid_log_dir: Optional[str] = None,
        tag_file: str = '',
        segment_file: str = '',
        invalid_segments: InvalidSegments = 'skip',
        **kwargs,
    ) -> None:
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root {data_root!r} does not '
                f'exist. {DATA_HELP}'
            )
        self._check_choice('modality', modality, MODALITY_GROUPS)
        self._check_choice(
            'caption_sampling', caption_sampling, ('all', 'one_per_video')
        )
        self.video_ext = video_ext
        self.modality = modality
        self.caption_sampling = caption_sampling
        self.seed, self.epoch = seed, 0
        self.skip_invalid = skip_invalid
        if max_invalid is not None and max_invalid < 0:
            raise ValueError(
                f'max_invalid must be >= 0 or None, got {max_invalid}'
            )
        self.max_invalid = max_invalid
        self.video_pipeline = _build_transforms(video_pipeline)
        self.text_pipeline = _build_transforms(text_pipeline)
        self.tag_file, self.segment_file = tag_file, segment_file
        self.invalid_segments = invalid_segments
        check_tag_needs(self)
        self.pack = TRANSFORMS.build(
            copy.deepcopy(pack or dict(type='PackVideoTextInputs'))
        )
        self.videos: Optional[list[dict]] = None
        self.texts: Optional[list[dict]] = None
        self.video_texts: list[list[int]] = []
        self.missing_video_ids: list[str] = []
        self.invalid_videos: list[tuple[str, str]] = []
        self.invalid_record_dir: Optional[str] = None
        if skip_invalid and not kwargs.get('test_mode', False):
            # Made here, in the main process, so that workers forked later
            # write where the main process reads.
            self.invalid_record_dir = _make_record_dir(invalid_log_dir)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=copy.deepcopy(data_prefix or dict(video='videos')),
            pipeline=[],
            **kwargs,
        )

    @staticmethod
    def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
        if value not in choices:
            raise ValueError(
                f'{name} must be one of {list(choices)}, got {value!r}'
            )

    # -- annotations -------------------------------------------------------
    def _join_prefix(self) -> None:
        super()._join_prefix()
        for name in (*self.extra_ann_files, 'tag_file', 'segment_file'):
            value = getattr(self, name)
            if value and not osp.isabs(value) and self.data_root:
                setattr(self, name, join_path(self.data_root, value))

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Return ``(videos, texts)``; see the class docstring."""
        raise NotImplementedError

    @property
    def caption_file(self) -> str:
        """The annotation file the captions are read from."""
        return self.ann_file

    @property
    def has_segments(self) -> bool:
        """Whether any video has timestamped segments."""
        self.full_init()
        return any(video.get('segments') for video in self.videos)

    def provided_side_inputs(self) -> set:
        """Names of the side inputs this dataset's items carry (see
        :func:`~hbi.datasets.side_annotations.provided_side_inputs`)."""
        return provided_side_inputs(self)

    def video_path(self, video_id: str) -> str:
        """Path of a video file under ``data_prefix['video']``."""
        return osp.join(self.data_prefix['video'], video_id + self.video_ext)

    def make_video(self, video_id: str, **fields) -> dict:
        """A ``videos`` entry: ``video_id``, its ``video_path`` and
        ``fields`` (e.g. ``start``/``end``)."""
        return dict(
            video_id=video_id, video_path=self.video_path(video_id), **fields
        )

    def group_texts(
        self, texts_by_video: dict[str, list[dict]]
    ) -> tuple[list[dict], list[dict]]:
        """``(videos, texts)`` from ``{video_id: [text dict, ...]}`` (in that
        order), each text dict holding ``caption`` and any other fields."""
        videos, texts = [], []
        for video_index, (video_id, entries) in enumerate(
            texts_by_video.items()
        ):
            videos.append(self.make_video(video_id))
            texts.extend(
                dict(entry, video_index=video_index) for entry in entries
            )
        return videos, texts

    def _set_annotations(self, videos: list[dict], texts: list[dict]) -> None:
        attach_side_annotations(self, videos, texts)
        video_texts: list[list[int]] = [[] for _ in videos]
        for text_index, text in enumerate(texts):
            video_texts[text['video_index']].append(text_index)
        self.videos, self.texts, self.video_texts = videos, texts, video_texts
        self.missing_video_ids = [
            v['video_id'] for v in videos if not osp.isfile(v['video_path'])
        ]
        uncaptioned = [
            v['video_id'] for v, t in zip(videos, video_texts) if not t
        ]
        if uncaptioned:
            print_log(
                f'{type(self).__name__}: {len(uncaptioned)} videos have no '
                f'caption, e.g. {uncaptioned[:5]}; they appear only in the '
                "'video' view.",
                logger='current',
                level=logging.WARNING,
            )
        if self.missing_video_ids:
            print_log(
                f'{type(self).__name__}: {len(self.missing_video_ids)} of '
                f'{len(videos)} videos referenced by the annotations are '
                f'missing under {self.data_prefix["video"]!r}, e.g. '
                f'{self.missing_video_ids[:5]}. Decoding them will '
                + (
                    'skip them (skip_invalid=True).'
                    if self.skip_invalid
                    else 'raise (skip_invalid=False).'
                ),
                logger='current',
                level=logging.WARNING,
            )

    def load_data_list(self) -> list[dict]:
        """Items of the current modality (annotations are parsed once and
        shared by :meth:`with_modality` views)."""
        if self.videos is None:
            self._set_annotations(*self.load_annotations())
        if self.modality == 'video':
            return [dict(video_index=i) for i in range(len(self.videos))]
        if (
            self.modality == 'pair'
            and self.caption_sampling == 'one_per_video'
        ):
            return [
                dict(video_index=i)
                for i, texts in enumerate(self.video_texts)
                if texts
            ]
        return [dict(text_index=i) for i in range(len(self.texts))]

    # -- views and epochs --------------------------------------------------
    def with_modality(self, modality: Modality) -> 'BaseVideoTextDataset':
        """A shallow copy iterating ``'pair'``, ``'text'`` or ``'video'``
        items; annotations and pipelines are shared."""
        self._check_choice('modality', modality, MODALITY_GROUPS)
        view = copy.copy(self)
        view.modality = modality
        view.data_list = []
        view._fully_initialized = False
        if self._fully_initialized:  # else it initialises lazily, as self
            view.full_init()
        return view

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used by ``caption_sampling='one_per_video'``."""
        self.epoch = epoch

    # -- items ---------------------------------------------------------------
    def get_data_info(self, idx: int) -> dict:
        """The idx-th item with its video and caption fields filled in."""
        item = super().get_data_info(idx)
        groups = MODALITY_GROUPS[self.modality]
        if 'text' in groups and 'text_index' not in item:
            # one_per_video: a caption drawn from (seed, epoch, idx).
            choices = self.video_texts[item['video_index']]
            rng = np.random.default_rng((self.seed, self.epoch, idx))
            item['text_index'] = choices[int(rng.integers(len(choices)))]
        text_index = item.get('text_index', -1)
        video_index = (
            self.texts[text_index]['video_index']
            if text_index >= 0
            else item['video_index']
        )
        video = self.videos[video_index]
        if text_index >= 0:  # e.g. gt_answer of a question
            item.update(
                {
                    key: value
                    for key, value in self.texts[text_index].items()
                    if key not in ('caption', 'video_index')
                }
            )
        item.update(
            item_modality=self.modality,
            video_index=video_index,
            text_index=text_index,
            video_id=video['video_id'],
            caption=self.texts[text_index]['caption']
            if text_index >= 0
            else '',
        )
        if 'video' in groups:
            item.update(
                video_path=video['video_path'],
                start=video.get('start'),
                end=video.get('end'),
            )
            if video.get('segments'):  # a copy: the pipeline filters it
                item['segments'] = [dict(s) for s in video['segments']]
        return item

    def __getitem__(self, idx: int) -> dict:
        """The idx-th item; with ``skip_invalid`` (training), an item whose
        video cannot be decoded is replaced by a random other one, as
        mmengine does, but running out of tries names the videos
        (mmengine's "Cannot find valid image after N!" names none)."""
        if self.test_mode or not self.skip_invalid:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise TooManyInvalidVideosError(
            f'{type(self).__name__}: {self.max_refetch + 1} items in a row '
            f'had videos that cannot be decoded; '
            f'{self.describe_invalid_videos()}. Check data_root '
            f'({self.data_root!r}) and the videos under '
            f'{self.data_prefix["video"]!r}.'
        )

    def describe_invalid_videos(self, limit: int = 3) -> str:
        """How many videos this process skipped, and the first reasons."""
        counts = Counter(video_id for video_id, _ in self.invalid_videos)
        reasons = dict(reversed(self.invalid_videos))  # first reason of each
        first = '; '.join(
            f'{video_id}: {reasons[video_id]}'
            for video_id in list(counts)[:limit]
        )
        return (
            f'{len(counts)} of {len(self.videos or [])} videos skipped '
            f'({len(self.invalid_videos)} times) in this process, first: '
            f'{first}'
        )

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the video pipeline, the text pipeline and ``pack``; ``None``
        for an undecodable video when ``skip_invalid`` (training only)."""
        results = self.get_data_info(idx)
        groups = MODALITY_GROUPS[self.modality]
        if 'video' in groups:
            try:
                results = self.video_pipeline(results)
            except VideoDecodeError as e:
                if self.skip_invalid and not self.test_mode:
                    self._on_invalid_video(e)
                    return None
                if self.test_mode:
                    raise
                raise VideoDecodeError(
                    e.path,
                    f'{e.reason} (set skip_invalid=True to skip such '
                    'videos in training)',
                    e.video_id,
                ) from e
            if results is None:
                return None
        if 'text' in groups:
            results = self.text_pipeline(results)
            if results is None:
                return None
        return self.pack(results)

    def _on_invalid_video(self, error: VideoDecodeError) -> None:
        """Record a skipped video: a warning naming it, ``(video_id,
        reason)`` in ``invalid_videos`` (this process only) and a line in
        this process's record file (gathered by :meth:`pop_invalid_videos`).
        """
        self.invalid_videos.append((error.video_id, error.reason))
        if self.invalid_record_dir is not None:
            _append_record(self.invalid_record_dir, error)
        print_log(
            f'{type(self).__name__}: skipping video {error.video_id!r} '
            f'({error.path}): {error.reason}',
            logger='current',
            level=logging.WARNING,
        )

    def pop_invalid_videos(self) -> list[dict]:
        """Videos skipped since the last call, by any process of this
        dataset (main process and DataLoader workers), then forget them.

        Call it when no worker is decoding (e.g. after a training epoch).

        Returns:
            list[dict]: One ``dict(video_id, path, reason)`` per skip, in no
            particular order (a video that failed twice appears twice).
        """
        folder = self.invalid_record_dir
        if folder is None or not osp.isdir(folder):
            return []
        records = []
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            with open(path, encoding='utf-8') as f:
                for line in f:
                    video_id, video_path, reason = line.rstrip('\n').split(
                        '\t', 2
                    )
                    records.append(
                        dict(video_id=video_id, path=video_path, reason=reason)
                    )
            os.remove(path)
        return records


def _make_record_dir(parent: Optional[str]) -> str:
    if parent:
        os.makedirs(parent, exist_ok=True)
    folder = tempfile.mkdtemp(prefix='hbi_invalid_videos_', dir=parent)
    atexit.register(_remove_record_dir, folder, os.getpid())
    return folder


def _remove_record_dir(folder: str, owner_pid: int) -> None:
    # Forked workers inherit atexit handlers; only the maker removes it.
    if os.getpid() == owner_pid:
        shutil.rmtree(folder, ignore_errors=True)


def _append_record(folder: str, error: VideoDecodeError) -> None:
    # One small append-only file per process: a single O_APPEND write of one
    # line, so no locking between workers is needed.
    fields = [str(error.video_id), error.path, error.reason]
    line = '\t'.join(' '.join(f.split()) for f in fields) + '\n'
    fd = os.open(
        osp.join(folder, f'skipped_{os.getpid()}.tsv'),
        os.O_WRONLY | os.O_APPEND | os.O_CREAT,
        0o644,
    )
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)
