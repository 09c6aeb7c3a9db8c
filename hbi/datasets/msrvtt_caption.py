"""MSR-VTT video captioning (splits of MSRVTT_data.json)."""

from hbi.registry import DATASETS

from .msrvtt_retrieval import MSRVTTRetrievalDataset


@DATASETS.register_module()
class MSRVTTCaptionDataset(MSRVTTRetrievalDataset):
    """MSR-VTT captioning: the retrieval dataset's videos and captions, with
    every item also carrying ``gt_captions``, all reference captions of its
    video (in file order), for captioning metrics.

    Use ``split='train'`` / ``'validate'`` / ``'test'`` (the split names of
    ``MSRVTT_data.json``: 6,513 / 497 / 2,990 videos, 20 captions each).
    Train on ``'pair'`` items (every caption, or ``caption_sampling=
    'one_per_video'``); evaluate on ``modality='video'``: one item per video
    with its ``gt_captions`` (a data field of the packed sample).

    Args:
        **kwargs: Arguments of :class:`MSRVTTRetrievalDataset`.

    Examples:
        >>> test = dict(type='MSRVTTCaptionDataset', data_root='data/msrvtt',
        ...             ann_file='annotations/MSRVTT_data.json',
        ...             split='test', modality='video', test_mode=True)
    """

    def get_data_info(self, idx: int) -> dict:
        """The item of :class:`MSRVTTRetrievalDataset` plus
        ``gt_captions``."""
        item = super().get_data_info(idx)
        item['gt_captions'] = [
            self.texts[i]['caption']
            for i in self.video_texts[item['video_index']]
        ]
        return item
