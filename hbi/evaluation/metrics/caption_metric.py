"""mmengine metric wrapping :func:`caption_scores` (COCO caption metrics)."""

from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from hbi.evaluation.functional.caption import caption_scores
from hbi.registry import METRICS


@METRICS.register_module()
class CaptionMetric(BaseMetric):
    """BLEU-1..4, METEOR, ROUGE-L and CIDEr-D of generated captions.

    Reads ``video_id``, ``pred_caption`` and ``gt_captions`` (every reference
    of the video) of each predicted data sample; a video seen twice (e.g.
    padded by a distributed sampler) is scored once. Scores are percentages
    (``caption/CIDEr`` etc.), computed by pycocoevalcap after its PTB
    tokenizer, so Java must be installed (an error says so otherwise).

    Args:
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to ``'caption'``.

    Raises:
        ValueError: In :meth:`process`, for a sample without references,
            naming its video.
    """

    default_prefix = 'caption'

    def __init__(
        self, collect_device: str = 'cpu', prefix: Optional[str] = None
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            get = (
                sample.get
                if isinstance(sample, dict)
                else lambda k, s=sample: getattr(s, k, None)
            )
            video_id, refs = get('video_id'), get('gt_captions')
            if not refs:
                raise ValueError(
                    f'CaptionMetric: video {video_id!r} has no reference '
                    'caption (gt_captions); evaluate a captioning dataset '
                    '(e.g. MSRVTTCaptionDataset) on its video view'
                )
            self.results.append(
                (str(video_id), get('pred_caption'), list(refs))
            )

    def compute_metrics(self, results: List) -> Dict[str, float]:
        predictions, references = {}, {}
        for video_id, caption, refs in results:
            if video_id not in predictions:
                predictions[video_id], references[video_id] = caption, refs
        return caption_scores(predictions, references)
