from .video_text_data_sample import VideoTextDataSample, stack_gt_answers

__all__ = ['VideoTextDataSample', 'stack_gt_answers']
