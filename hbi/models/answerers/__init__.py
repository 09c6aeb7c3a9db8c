from .video_question_answerer import VideoQuestionAnswerer

__all__ = ['VideoQuestionAnswerer']
