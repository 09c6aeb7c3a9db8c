"""MSVD video captioning (the captions and splits of the retrieval files)."""

from hbi.registry import DATASETS

from .caption_references import CaptionReferencesMixin
from .msvd_retrieval import MSVDRetrievalDataset


@DATASETS.register_module()
class MSVDCaptionDataset(CaptionReferencesMixin, MSVDRetrievalDataset):
    """MSVD captioning: the retrieval dataset's videos and captions
    (``raw-captions.pkl``, about 40 per video; ``train_list.txt`` /
    ``val_list.txt`` / ``test_list.txt``: 1,200 / 100 / 670 videos), with
    every item also carrying ``gt_captions``, all captions of its video.

    Train on ``'pair'`` items; evaluate on ``modality='video'``.

    Args:
        **kwargs: Arguments of :class:`MSVDRetrievalDataset`.

    Examples:
        >>> test = dict(type='MSVDCaptionDataset', data_root='data/msvd',
        ...             ann_file='raw-captions.pkl',
        ...             list_file='test_list.txt', modality='video',
        ...             data_prefix=dict(video='YouTubeClips'),
        ...             test_mode=True)
    """
