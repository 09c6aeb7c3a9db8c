"""MSR-VTT text-video retrieval (9k/7k training lists, 1k-A, full test)."""

import logging
import os.path as osp
from collections import Counter
from typing import Literal, Optional

from mmengine.fileio import join_path
from mmengine.logging import print_log

from hbi.registry import DATASETS

from .annotation_io import check_fields, check_text, read_csv_rows, read_json
from .base_video_text_dataset import BaseVideoTextDataset

#: Header of the JSFusion csv, which carries one caption per row itself.
JSFUSION_COLUMNS = ('key', 'vid_key', 'video_id', 'sentence')


@DATASETS.register_module()
class MSRVTTRetrievalDataset(BaseVideoTextDataset):
    """MSR-VTT videos with their captions.

    Which videos and captions, by argument:

    - ``list_file`` with a ``video_id`` column (``MSRVTT_train.9k.csv``):
      those videos, in file order, with all their captions from ``ann_file``;
    - ``list_file`` in JSFusion format (header
      ``key,vid_key,video_id,sentence``, ``MSRVTT_JSFUSION_test.csv``): the
      videos and captions of that file alone (1k-A: 1,000 pairs);
      ``ann_file`` must then be empty;
    - ``split`` (e.g. ``'test'``): the videos of ``ann_file`` with that split
      (full test: 2,990 videos × 20 captions);
    - neither: every video of ``ann_file``.

    ``ann_file`` is ``MSRVTT_data.json``: ``{"videos": [{"video_id", "split",
    ...}], "sentences": [{"caption", "video_id", "sen_id"}, ...]}``. Captions
    are ordered by video, then by their order in the file. Videos are
    ``<data_prefix['video']>/<video_id><video_ext>``.

    Args:
        ann_file (str): ``MSRVTT_data.json``, relative to ``data_root``.
        list_file (str): A csv of video ids or the JSFusion csv, relative to
            ``data_root``.
        split (str, optional): A split of ``ann_file``.
        orphan_captions (str): What to do with captions of ``ann_file``
            whose ``video_id`` is not among its ``videos``: ``'report'``
            (left out, counted in ``num_orphan_captions`` and logged at
            start) or ``'error'`` (refuse the file). Defaults to
            ``'report'``.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file and entry of a caption that is not a
            non-empty string, and of orphan captions with
            ``orphan_captions='error'``.

    Examples:
        >>> train = dict(type='MSRVTTRetrievalDataset',
        ...              data_root='data/msrvtt',
        ...              ann_file='annotations/MSRVTT_data.json',
        ...              list_file='annotations/MSRVTT_train.9k.csv',
        ...              caption_sampling='one_per_video')
    """

    def __init__(
        self,
        ann_file: str = '',
        list_file: str = '',
        split: Optional[str] = None,
        orphan_captions: Literal['report', 'error'] = 'report',
        **kwargs,
    ) -> None:
        self._check_choice(
            'orphan_captions', orphan_captions, ('report', 'error')
        )
        self.orphan_captions = orphan_captions
        self.num_orphan_captions = 0
        if list_file and split:
            raise ValueError(
                'give either list_file or split, not both '
                f'(list_file={list_file!r}, split={split!r})'
            )
        if not (ann_file or list_file):
            raise ValueError(
                'MSRVTTRetrievalDataset needs ann_file '
                '(MSRVTT_data.json) and/or list_file'
            )
        self.list_file, self.split = list_file, split
        super().__init__(ann_file=ann_file, **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.list_file and not osp.isabs(self.list_file) and self.data_root:
            self.list_file = join_path(self.data_root, self.list_file)

    @property
    def caption_file(self) -> str:
        """``ann_file``, or the JSFusion ``list_file`` that carries its own
        captions."""
        return self.ann_file or self.list_file

    def _video(self, video_id: str) -> dict:
        return dict(video_id=video_id, video_path=self.video_path(video_id))

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse the files; see the class docstring."""
        if self.list_file:
            rows = read_csv_rows(self.list_file, ('video_id',))
            if rows and set(JSFUSION_COLUMNS) <= set(rows[0]):
                # Re-read requiring every column, so errors name the line.
                return self._from_jsfusion(
                    read_csv_rows(self.list_file, JSFUSION_COLUMNS)
                )
            video_ids = [row['video_id'].strip() for row in rows]
            duplicates = [v for v, n in Counter(video_ids).items() if n > 1]
            if duplicates:
                raise ValueError(
                    f'{self.list_file}: video ids listed more '
                    f'than once: {duplicates[:5]}'
                )
        else:
            video_ids = None
        return self._from_ann_file(video_ids)

    def _from_jsfusion(
        self, rows: list[dict]
    ) -> tuple[list[dict], list[dict]]:
        if self.ann_file:
            raise ValueError(
                f'{self.list_file} is a JSFusion csv that carries its own '
                f'captions; set ann_file to "" (got {self.ann_file!r})'
            )
        videos: list[dict] = []
        index: dict[str, int] = {}
        texts = []
        for row in rows:
            caption = row['sentence'].strip()
            video_id = row['video_id'].strip()
            if video_id not in index:
                index[video_id] = len(videos)
                videos.append(self._video(video_id))
            texts.append(dict(caption=caption, video_index=index[video_id]))
        return videos, texts

    def _from_ann_file(
        self, video_ids: Optional[list[str]]
    ) -> tuple[list[dict], list[dict]]:
        if not self.ann_file:
            raise ValueError(
                f'{self.list_file} lists video ids only; give '
                'ann_file (MSRVTT_data.json) for the captions'
            )
        ann = read_json(self.ann_file)
        check_fields(ann, ('videos', 'sentences'), self.ann_file)
        splits = {}
        for i, video in enumerate(ann['videos']):
            check_fields(
                video, ('video_id', 'split'), f'{self.ann_file}: videos[{i}]'
            )
            splits[video['video_id']] = video['split']
        if video_ids is not None:
            unknown = [v for v in video_ids if v not in splits]
            if unknown:
                raise ValueError(
                    f'{self.list_file}: {len(unknown)} video ids '
                    f'not in {self.ann_file}, e.g. {unknown[:5]}'
                )
        elif self.split is not None:
            video_ids = [v for v, s in splits.items() if s == self.split]
            if not video_ids:
                raise ValueError(
                    f'{self.ann_file}: no video with split {self.split!r} '
                    f'(splits: {sorted(set(splits.values()))})'
                )
        else:
            video_ids = list(splits)
        index = {video_id: i for i, video_id in enumerate(video_ids)}
        captions: list[list[str]] = [[] for _ in video_ids]
        orphans = []
        for i, sentence in enumerate(ann['sentences']):
            where = f'{self.ann_file}: sentences[{i}]'
            check_fields(sentence, ('caption', 'video_id'), where)
            check_text(sentence['caption'], where)  # null, number, empty
            video_id = sentence['video_id']
            known = isinstance(video_id, (str, int)) and video_id in splits
            if not known:
                orphans.append(f'sentences[{i}] (video_id {video_id!r})')
            elif video_id in index:
                captions[index[video_id]].append(sentence['caption'])
        self._report_orphans(orphans)
        texts = [
            dict(caption=caption, video_index=vi)
            for vi, video_captions in enumerate(captions)
            for caption in video_captions
        ]
        return [self._video(v) for v in video_ids], texts

    def _report_orphans(self, orphans: list[str]) -> None:
        self.num_orphan_captions = len(orphans)
        if not orphans:
            return
        message = (
            f'{self.ann_file}: {len(orphans)} captions name a video that is '
            f'not among its "videos", e.g. {", ".join(orphans[:5])}'
        )
        if self.orphan_captions == 'error':
            raise ValueError(f'{message} (orphan_captions="error")')
        print_log(
            f'{type(self).__name__}: {message}; they are left out (set '
            'orphan_captions="error" to refuse such a file)',
            logger='current',
            level=logging.WARNING,
        )
