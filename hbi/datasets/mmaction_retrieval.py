"""Retrieval in mmaction2's annotation format."""

import os.path as osp

from hbi.registry import DATASETS

from .annotation_io import check_text, read_json
from .base_video_text_dataset import BaseVideoTextDataset


@DATASETS.register_module()
class MMActionRetrievalDataset(BaseVideoTextDataset):
    """Videos and captions from mmaction2's retrieval json (that of its
    ``VideoTextDataset``, e.g. ``tools/data/msrvtt`` output):
    ``{"video0.mp4": ["caption", ...], ...}``.

    mmaction2's own ``VideoTextDataset`` yields a flat list of (file, text)
    pairs; this class gives the same files our unique-video/caption views
    (``'pair'``, ``'text'``, ``'video'``), which the retrieval metric needs.
    The video id is the file name without its extension; the video is
    ``<data_prefix['video']>/<file name>`` (``video_ext`` is not used).

    Args:
        ann_file (str): The json file, relative to ``data_root``.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file, video file name and caption index for
            a value that is not a non-empty list of captions, or an empty
            caption.
    """

    def __init__(self, ann_file: str = '', **kwargs) -> None:
        self._file_names: dict[str, str] = {}
        super().__init__(ann_file=ann_file, **kwargs)

    def video_path(self, video_id: str) -> str:
        """``<video folder>/<file name as in ann_file>``."""
        return osp.join(
            self.data_prefix['video'], self._file_names.get(video_id, video_id)
        )

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse ``ann_file``; see the class docstring."""
        ann = read_json(self.ann_file)
        if not isinstance(ann, dict):
            raise ValueError(
                f'{self.ann_file}: expected an object {{video '
                'file: [captions]}, got '
                f'{type(ann).__name__}'
            )
        texts_by_video = {}
        for file_name, captions in ann.items():
            where = f'{self.ann_file}: {file_name!r}'
            video_id = osp.splitext(file_name)[0]
            if video_id in texts_by_video:
                raise ValueError(
                    f'{where}: video id {video_id!r} given by two file names'
                )
            if not isinstance(captions, list) or not captions:
                raise ValueError(
                    f'{where}: expected a non-empty list of '
                    f'captions, got {captions!r}'
                )
            self._file_names[video_id] = file_name
            texts_by_video[video_id] = [
                dict(caption=check_text(c, f'{where} caption {i}'))
                for i, c in enumerate(captions)
            ]
        return self.group_texts(texts_by_video)
