"""What a captioning dataset adds to a retrieval one: the references."""


class CaptionReferencesMixin:
    """Every item carries ``gt_captions``: all reference captions of its
    video, in file order (a data field of the packed sample, read by the
    captioning metric). In ``test_mode`` a video without any reference is
    an error naming it: it could not be scored.

    Mix in before a :class:`BaseVideoTextDataset` subclass, e.g.
    ``class MSVDCaptionDataset(CaptionReferencesMixin,
    MSVDRetrievalDataset)``.
    """

    def _set_annotations(self, videos: list, texts: list) -> None:
        super()._set_annotations(videos, texts)
        if not self.test_mode:
            return
        uncaptioned = [
            video['video_id']
            for video, refs in zip(self.videos, self.video_texts)
            if not refs
        ]
        if uncaptioned:
            raise ValueError(
                f'{type(self).__name__} ({self.ann_file}): '
                f'{len(uncaptioned)} evaluated videos have no reference '
                f'caption, e.g. {uncaptioned[:5]}; every evaluated video '
                'needs at least one to be scored'
            )

    def get_data_info(self, idx: int) -> dict:
        """The dataset's item plus ``gt_captions``."""
        item = super().get_data_info(idx)
        item['gt_captions'] = [
            self.texts[i]['caption']
            for i in self.video_texts[item['video_index']]
        ]
        return item
