"""LSMDC text-video retrieval (the challenge's tab-separated csv files)."""

import os.path as osp

from hbi.registry import DATASETS

from .annotation_io import check_text, read_tsv_rows
from .base_video_text_dataset import BaseVideoTextDataset

#: Fields of a line: clip id, aligned start/end, extracted start/end, text.
LSMDC_NUM_FIELDS = 6


@DATASETS.register_module()
class LSMDCRetrievalDataset(BaseVideoTextDataset):
    """LSMDC clips, one sentence each.

    ``ann_file`` is one of ``LSMDC16_annos_training.csv``,
    ``LSMDC16_annos_val.csv``, ``LSMDC16_challenge_1000_publictect.csv``:
    tab-separated, no header, ``clip_id, start_aligned, end_aligned,
    start_extracted, end_extracted, sentence`` (fields after the fifth are
    joined with a space into the sentence). Clips are whole files (their
    bounds are already cut). Videos are
    ``<data_prefix['video']>/<movie>/<clip_id><video_ext>`` with ``movie``
    the clip id up to its last ``_`` (``0001_American_Beauty`` for
    ``0001_American_Beauty_00.00.51.926-00.00.54.129``), or directly under
    the folder with ``movie_subfolders=False``.

    Args:
        ann_file (str): The csv file, relative to ``data_root``.
        video_ext (str): Defaults to ``'.avi'``.
        movie_subfolders (bool): Defaults to True.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file and line for a line with fewer than six
            fields, an empty clip id or sentence, or a clip id listed twice.
    """

    def __init__(
        self,
        ann_file: str = '',
        video_ext: str = '.avi',
        movie_subfolders: bool = True,
        **kwargs,
    ) -> None:
        self.movie_subfolders = movie_subfolders
        super().__init__(ann_file=ann_file, video_ext=video_ext, **kwargs)

    def video_path(self, video_id: str) -> str:
        """``<video folder>/<movie>/<clip id><ext>`` (see the class doc)."""
        if not self.movie_subfolders:
            return super().video_path(video_id)
        movie = video_id.rsplit('_', 1)[0]
        return osp.join(
            self.data_prefix['video'], movie, video_id + self.video_ext
        )

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse ``ann_file``; see the class docstring."""
        rows = read_tsv_rows(self.ann_file, LSMDC_NUM_FIELDS)
        texts_by_video = {}
        for line_no, fields in rows:
            where = f'{self.ann_file}: line {line_no}'
            clip_id = check_text(fields[0], where, 'clip_id')
            if clip_id in texts_by_video:
                raise ValueError(f'{where}: clip {clip_id!r} listed twice')
            sentence = check_text(' '.join(fields[5:]), where, 'sentence')
            texts_by_video[clip_id] = [dict(caption=sentence)]
        return self.group_texts(texts_by_video)
