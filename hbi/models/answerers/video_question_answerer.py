"""The released HBI video question-answering model
(``docs/en/methods/hbi_qa.md``)."""

from typing import Dict, Optional

from torch import Tensor

from hbi.registry import MODELS
from hbi.structures import stack_gt_answers

from ..backbones.openai_clip_conversion import load_state_dict_checked
from ..retrievers.base import SampleList
from ..retrievers.model_checkpoint import read_model_checkpoint
from ..retrievers.video_text_retriever import VideoTextRetriever


@MODELS.register_module()
class VideoQuestionAnswerer(VideoTextRetriever):
    """A retriever whose texts are questions, plus an answer head.

    The question is encoded by the text tower and the retrieval head's
    level encoders exactly like a caption, the video like any video (once
    per video at test time, see ``VideoQATestLoop``); ``answer_head`` turns
    the level features of a question and of its video into answer logits
    (:class:`LevelAnswerHead` for the release). Training adds the retrieval
    losses of the (question, video) pairs, scaled by
    ``retrieval_loss_weight`` (0.5 in the release: its per-level
    ``(contrastive + skl * Banzhaf) * 0.5``), to the answer head's losses.

    It lives in its own folder because it is neither a retriever (its
    output is an answer) nor an encoder-decoder (no decoder).

    Args:
        answer_head (dict): Config of the answer head.
        retrieval_loss_weight (float): Weight of every retrieval loss; 0
            leaves them out. Defaults to 0.5.
        retriever_checkpoint (str, optional): A trained retriever of the
            same towers, temporal module and head (any layout
            :func:`read_model_checkpoint` reads), loaded by
            :meth:`init_weights` into everything but the answer head, which
            keeps its initialisation (e.g. QA fine-tuning of a retrieval
            model, as the synthetic demo does); a configured teacher file
            keeps its weights. Defaults to None.
        **kwargs: Arguments of :class:`VideoTextRetriever` (towers,
            temporal module, ``head``: the level encoders and retrieval
            losses).

    Shape:
        - inputs: as :class:`VideoTextRetriever`; question b is about video
          b.
        - ``mode='tensor'`` with text and video: ``'answer_logits'``
          (B, num_answers) and ``'{level}_answer_logits'``.
    """

    def __init__(
        self,
        answer_head: dict,
        retrieval_loss_weight: float = 0.5,
        retriever_checkpoint: Optional[str] = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.answer_head = MODELS.build(answer_head)
        self.retrieval_loss_weight = float(retrieval_loss_weight)
        self.retriever_checkpoint = retriever_checkpoint

    def init_weights(self) -> None:
        """CLIP weights as a retriever, then ``retriever_checkpoint`` (each
        part checked: nothing missing, unexpected or of another shape)."""
        super().init_weights()
        if not self.retriever_checkpoint:
            return
        _, converted, _ = read_model_checkpoint(self.retriever_checkpoint)
        if getattr(self.head, 'use_banzhaf', False):
            # The configured teacher file wins over the retriever's copy.
            teacher = self.head.teacher.state_dict()
            converted.update(
                {f'head.teacher.{k}': v for k, v in teacher.items()}
            )
        load_state_dict_checked(
            self,
            converted,
            source=self.retriever_checkpoint,
            allow_missing=('answer_head.',),
        )

    @property
    def num_answers(self) -> int:
        """Size of the answer vocabulary the model classifies into."""
        return self.answer_head.num_answers

    def answer(self, text: dict, video: dict) -> Dict[str, Tensor]:
        """Answer logits of question b about video b (encoded features).

        Returns:
            dict[str, Tensor]: At least ``'answer_logits'``
            (B, num_answers).
        """
        return self.answer_head(text, video)

    def extract_feat(self, inputs: Dict[str, Tensor]) -> dict:
        """Features of the modalities given; with both, the answers too."""
        feats = super().extract_feat(inputs)
        if 'text' in feats and 'video' in feats:
            feats.update(self.answer(feats['text'], feats['video']))
        return feats

    def loss(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> Dict[str, Tensor]:
        """Answer losses of this rank's questions plus the weighted
        retrieval losses over the questions and videos of all ranks."""
        text = self.encode_text(inputs['input_ids'], inputs['attention_mask'])
        video = self.encode_video(inputs['frames'], inputs['frame_mask'])
        losses = {}
        if self.retrieval_loss_weight:
            losses = {
                key: self.retrieval_loss_weight * value
                for key, value in self.retrieval_loss(text, video).items()
            }
        gt = stack_gt_answers(data_samples, inputs['input_ids'].device)
        losses.update(self.answer_head.loss(text, video, gt))
        return losses

    def predict(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> SampleList:
        """``pred_answer`` (index) and ``pred_score`` (its softmax
        probability) of each sample's question about its video."""
        logits = self.extract_feat(inputs)['answer_logits']
        scores, answers = logits.float().softmax(-1).max(-1)
        for sample, answer, score in zip(data_samples, answers, scores):
            sample.set_field(int(answer), 'pred_answer')
            sample.set_field(score.detach(), 'pred_score')
        return data_samples
