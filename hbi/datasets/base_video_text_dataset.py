"""A dataset of unique videos and their captions, iterated as pairs, texts
or videos."""

import copy
import logging
import os.path as osp
from typing import Callable, Literal, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path
from mmengine.logging import print_log

from hbi.registry import TRANSFORMS

from .invalid_video_records import make_record_dir
from .invalid_video_skipping import (  # noqa: F401 (TooManyInvalidVideosError)
    InvalidVideoSkipping,
    TooManyInvalidVideosError,
)
from .segments import InvalidSegments
from .shared_epoch import SharedEpoch
from .side_annotations import (
    attach_side_annotations,
    check_tag_needs,
    provided_side_inputs,
)
from .transforms.compose import build_transforms
from .transforms.formatting import MODALITY_GROUPS, Modality
from .transforms.video_reader import VideoDecodeError
from .video_subset import check_video_subset, select_videos

CaptionSampling = Literal['all', 'one_per_video']
DATA_HELP = (
    'Generate the synthetic world with `python tools/data/synthetic/'
    'generate_synthetic_world.py --out data/synthetic`, or prepare the real '
    'data as described in docs/en/data_preparation.md.'
)


class BaseVideoTextDataset(InvalidVideoSkipping, BaseDataset):
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
    call :meth:`set_epoch` each epoch, e.g. from a hook: the epoch is held in
    shared memory, so DataLoader workers, persistent ones included, see
    it); ``'text'`` gives every caption and
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
        indices (int | Sequence[int], optional): A subset of the VIDEOS,
            kept with all their captions, so that every view (pairs, texts,
            videos) holds the same videos: an int ``n`` keeps the first
            ``n`` videos (the last ``-n`` if negative), a sequence the videos
            at those positions of the annotation order. (mmengine's own
            ``indices`` would cut each view's item list separately, pairing
            the first captions with the first videos only by accident.)
            Defaults to None (all videos).
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``test_mode``, ``lazy_init``, ``serialize_data``,
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
        indices: Optional[Union[int, Sequence[int]]] = None,
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
        self.seed = seed
        # Shared with the DataLoader workers (and with_modality views).
        self.shared_epoch = SharedEpoch(0)
        self.skip_invalid = skip_invalid
        self.video_subset = check_video_subset(indices)
        if max_invalid is not None and max_invalid < 0:
            raise ValueError(
                f'max_invalid must be >= 0 or None, got {max_invalid}'
            )
        self.max_invalid = max_invalid
        self.video_pipeline = build_transforms(video_pipeline)
        self.text_pipeline = build_transforms(text_pipeline)
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
            self.invalid_record_dir = make_record_dir(invalid_log_dir)
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
            videos, texts = self.load_annotations()
            if self.video_subset is not None:
                videos, texts = select_videos(videos, texts, self.video_subset)
            self._set_annotations(videos, texts)
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

    @property
    def epoch(self) -> int:
        """The epoch of ``caption_sampling='one_per_video'``."""
        return self.shared_epoch.value

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used by ``caption_sampling='one_per_video'``, in
        this process and in its DataLoader workers (persistent ones too)."""
        self.shared_epoch.value = epoch

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
