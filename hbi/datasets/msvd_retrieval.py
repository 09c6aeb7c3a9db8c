"""MSVD text-video retrieval (CLIP4Clip's ``raw-captions.pkl`` and lists)."""

from hbi.registry import DATASETS

from .annotation_io import check_text, read_pickle, read_text_list
from .base_video_text_dataset import BaseVideoTextDataset


@DATASETS.register_module()
class MSVDRetrievalDataset(BaseVideoTextDataset):
    """MSVD videos, each with its several captions (about 40).

    ``ann_file`` is ``raw-captions.pkl``: ``{video_id: [[token, ...], ...]}``
    (each caption a list of words, joined with spaces here; a caption given
    as a plain string is taken as it is). ``list_file`` (``train_list.txt``,
    ``val_list.txt`` or ``test_list.txt``) lists one video id per line and
    selects the split; without it every video of ``ann_file`` is used.
    Videos are ``<data_prefix['video']>/<video_id><video_ext>``.

    Args:
        ann_file (str): ``raw-captions.pkl``, relative to ``data_root``.
        list_file (str): The split's id list, relative to ``data_root``.
        video_ext (str): Defaults to ``'.avi'`` (MSVD's ``YouTubeClips``).
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file and video id (and caption index) for a
            listed id missing from ``ann_file``, a video without captions or
            an empty / non-text caption.

    Examples:
        >>> test = dict(type='MSVDRetrievalDataset', data_root='data/msvd',
        ...             ann_file='raw-captions.pkl',
        ...             list_file='test_list.txt',
        ...             data_prefix=dict(video='YouTubeClips'))
    """

    extra_ann_files = ('list_file',)

    def __init__(
        self,
        ann_file: str = 'raw-captions.pkl',
        list_file: str = '',
        video_ext: str = '.avi',
        **kwargs,
    ) -> None:
        self.list_file = list_file
        super().__init__(ann_file=ann_file, video_ext=video_ext, **kwargs)

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse the files; see the class docstring."""
        captions = read_pickle(self.ann_file)
        if not isinstance(captions, dict):
            raise ValueError(
                f'{self.ann_file}: expected a dict {{video_id: '
                f'[[tokens...], ...]}}, got '
                f'{type(captions).__name__}'
            )
        if self.list_file:
            video_ids = read_text_list(self.list_file)
            unknown = [v for v in video_ids if v not in captions]
            if unknown:
                raise ValueError(
                    f'{self.list_file}: {len(unknown)} video ids '
                    f'not in {self.ann_file}, e.g. {unknown[:5]}'
                )
        else:
            video_ids = list(captions)
        texts_by_video = {}
        for video_id in video_ids:
            where = f'{self.ann_file}: video {video_id!r}'
            entries = captions[video_id]
            if not isinstance(entries, (list, tuple)) or not entries:
                raise ValueError(
                    f'{where}: expected a non-empty list of '
                    f'captions, got {entries!r}'
                )
            texts_by_video[video_id] = [
                dict(
                    caption=check_text(
                        caption
                        if isinstance(caption, str)
                        else _join_tokens(caption, f'{where} caption {i}'),
                        f'{where} caption {i}',
                    )
                )
                for i, caption in enumerate(entries)
            ]
        return self.group_texts(texts_by_video)


def _join_tokens(tokens: object, where: str) -> str:
    if not isinstance(tokens, (list, tuple)) or not all(
        isinstance(t, str) for t in tokens
    ):
        raise ValueError(
            f'{where}: expected a list of word strings, got {tokens!r}'
        )
    return ' '.join(tokens)
