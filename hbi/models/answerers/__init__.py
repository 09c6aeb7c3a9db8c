from .video_question_answerer import VideoQuestionAnswerer, gt_answers

__all__ = ['VideoQuestionAnswerer', 'gt_answers']
