from .caption_vocabulary_hook import CaptionVocabularyHook
from .epoch_seeding_hook import EpochSeedingHook
from .invalid_video_report_hook import InvalidVideoReportHook
from .logit_scale_clamp_hook import LogitScaleClampHook

__all__ = [
    'CaptionVocabularyHook',
    'EpochSeedingHook',
    'InvalidVideoReportHook',
    'LogitScaleClampHook',
]
