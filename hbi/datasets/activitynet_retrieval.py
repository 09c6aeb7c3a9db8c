"""ActivityNet Captions paragraph-to-video retrieval."""

import logging
from typing import Optional

from mmengine.logging import print_log

from hbi.registry import DATASETS

from .annotation_io import check_fields, join_sentences, read_json
from .base_video_text_dataset import BaseVideoTextDataset
from .segments import make_segments


@DATASETS.register_module()
class ActivityNetRetrievalDataset(BaseVideoTextDataset):
    """ActivityNet Captions videos, each with ONE caption: the paragraph of
    its sentences joined in file order (paragraph retrieval, as CLIP4Clip).

    ``ann_file`` is ``train.json`` / ``val_1.json`` (or the synthetic world's
    ``segments_*.json``): ``{video_id: {"duration": float, "timestamps":
    [[start, end], ...], "sentences": [str, ...]}}``. The whole video is used
    (``start``/``end`` None); each video keeps its ``duration`` and its
    timestamped sentences as ``segments`` (checked as described in
    :mod:`hbi.datasets.segments`). Videos are
    ``<data_prefix['video']>/<video_id minus strip_id_prefix><video_ext>``
    (CLIP4Clip's files lack the ``v_`` of the annotation keys: set
    ``strip_id_prefix='v_'``).

    Empty sentences inside a paragraph are left out (their number is logged
    once); a video without any non-empty sentence is an error.

    Args:
        ann_file (str): The json file, relative to ``data_root``.
        strip_id_prefix (str): Removed from the start of each key to make the
            video id. Defaults to ``''``.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file, video id and field for an entry that is
            not an object, lacks ``sentences``, has ``timestamps`` of another
            length, or has no non-empty sentence.
    """

    def __init__(
        self, ann_file: str = '', strip_id_prefix: str = '', **kwargs
    ) -> None:
        self.strip_id_prefix = strip_id_prefix
        super().__init__(ann_file=ann_file, **kwargs)

    def _video_id(self, key: str) -> str:
        prefix = self.strip_id_prefix
        return key[len(prefix) :] if prefix and key.startswith(prefix) else key

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse ``ann_file``; see the class docstring."""
        ann = read_json(self.ann_file)
        if not isinstance(ann, dict):
            raise ValueError(
                f'{self.ann_file}: expected an object {{video_id:'
                ' {duration, timestamps, sentences}}, got '
                f'{type(ann).__name__}'
            )
        texts_by_video, segments, empty = {}, {}, 0
        for key, entry in ann.items():
            where = f'{self.ann_file}: video {key!r}'
            check_fields(entry, ('sentences',), where)
            timestamps: Optional[list] = entry.get('timestamps')
            if timestamps is not None and (
                not isinstance(timestamps, list)
                or len(timestamps) != len(entry['sentences'])
            ):
                raise ValueError(
                    f"{where}: field 'timestamps' must be a list with one "
                    f'[start, end] per sentence ({len(entry["sentences"])}), '
                    f'got {timestamps!r}'
                )
            paragraph, num_empty = join_sentences(entry['sentences'], where)
            empty += num_empty
            video_id = self._video_id(key)
            texts_by_video[video_id] = [dict(caption=paragraph)]
            segments[video_id] = dict(
                duration=entry.get('duration'),
                segments=make_segments(timestamps or [], entry['sentences']),
            )
        report_empty_sentences(self, empty)
        videos, texts = self.group_texts(texts_by_video)
        for video in videos:
            video.update(segments[video['video_id']])
        return videos, texts


def report_empty_sentences(dataset: BaseVideoTextDataset, count: int) -> None:
    """Log once how many empty sentences were left out of paragraphs."""
    if count:
        print_log(
            f'{type(dataset).__name__}: {count} empty sentences in '
            f'{dataset.ann_file} were left out of their paragraphs',
            logger='current',
            level=logging.WARNING,
        )
