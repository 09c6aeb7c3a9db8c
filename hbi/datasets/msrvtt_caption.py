"""MSR-VTT video captioning (splits of MSRVTT_data.json)."""

from hbi.registry import DATASETS

from .caption_references import CaptionReferencesMixin
from .msrvtt_retrieval import MSRVTTRetrievalDataset


@DATASETS.register_module()
class MSRVTTCaptionDataset(CaptionReferencesMixin, MSRVTTRetrievalDataset):
    """MSR-VTT captioning: the retrieval dataset's videos and captions, with
    every item also carrying ``gt_captions``, all reference captions of its
    video (in file order), for captioning metrics.

    Use ``split='train'`` / ``'validate'`` / ``'test'`` (the split names of
    ``MSRVTT_data.json``: 6,513 / 497 / 2,990 videos, 20 captions each).
    Train on ``'pair'`` items (every caption, or ``caption_sampling=
    'one_per_video'``); evaluate on ``modality='video'``: one item per video
    with its ``gt_captions`` (a data field of the packed sample). In
    ``test_mode`` a video without a caption is an error naming it.

    Args:
        **kwargs: Arguments of :class:`MSRVTTRetrievalDataset`.

    Examples:
        >>> test = dict(type='MSRVTTCaptionDataset', data_root='data/msrvtt',
        ...             ann_file='annotations/MSRVTT_data.json',
        ...             split='test', modality='video', test_mode=True)
    """
