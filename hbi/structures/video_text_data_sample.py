"""The one data sample that carries a video-text item from packing to "
"metrics."""

from typing import Optional, Sequence

import torch
from mmengine.structures import BaseDataElement


class VideoTextDataSample(BaseDataElement):
    """Carries one sample from :class:`PackVideoTextInputs` to the metrics.

    Meta fields (set by the dataset and packed by ``meta_keys``):
        - ``video_id`` (str): the video's id, e.g. ``'video7020'``.
        - ``video_index`` (int): index of the video in the dataset's list of
          unique videos (retrieval ground truth).
        - ``text_index`` (int): index of the caption in the dataset's list of
          captions (retrieval queries), or -1 for a video-only item.
        - ``caption`` (str): the raw caption or question.
        - ``num_frames`` (int): real (unpadded) frames.

    Data fields (set by heads or metrics where the task needs them):
        - ``gt_answer`` (int): answer index for VideoQA, -1 if outside the
          vocabulary.
        - ``gt_captions`` (list[str]): reference captions for captioning.
        - ``pred_answer`` (int), ``pred_caption`` (str): predictions.

    Examples:
        >>> sample = VideoTextDataSample(metainfo=dict(video_id='video0'))
        >>> sample.video_id
        'video0'
    """


def stack_gt_answers(
    data_samples: Optional[Sequence[BaseDataElement]], device=None
) -> torch.Tensor:
    """The ``gt_answer`` of every data sample as a (B,) int64 tensor.

    Raises:
        ValueError: If there are no data samples or one has no
            ``gt_answer`` (a QA dataset packs it).
    """
    if not data_samples:
        raise ValueError('QA training needs data samples with gt_answer')
    missing = [i for i, s in enumerate(data_samples) if 'gt_answer' not in s]
    if missing:
        raise ValueError(
            f'data samples {missing[:5]} have no gt_answer: train on a '
            'VideoQADataset'
        )
    return torch.as_tensor(
        [int(s.gt_answer) for s in data_samples],
        dtype=torch.long,
        device=device,
    )
