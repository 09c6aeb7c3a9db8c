"""VideoQA on the encoder-decoder (docs/en/methods/hbi_v2.md B2): answer
classification from the decoder's first output, reading the memory of the
video's level tokens and the question's tokens
(``model.encode_question_memory``)."""

from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from hbi.registry import MODELS
from hbi.structures import stack_gt_answers


def first_output(model, memory: Tensor, memory_mask: Tensor) -> Tensor:
    """The decoder's state at its first position (input: the start token
    alone), which has read the whole memory: [B, width]."""
    start = torch.full(
        (memory.shape[0], 1),
        model.decoder.start_token_id,
        dtype=torch.long,
        device=memory.device,
    )
    hidden = model.decoder(
        start, torch.ones_like(start), memory, memory_mask, return_logits=False
    )['hidden']
    return hidden[:, 0]


@MODELS.register_module()
class DecoderAnswerClassifierHead(BaseModule):
    """Classify the answer from the decoder's first output token.

    The decoder reads the start token with the memory of the video's levels
    and the question; its first output goes through an MLP
    (``Linear(W, 2W) -> GELU -> Dropout -> Linear(2W, A)``) to the answer
    vocabulary, trained with cross-entropy (the standard classification
    protocol of MSRVTT-QA / MSVD-QA).

    Args:
        num_answers (int): Answer vocabulary size A.
        decoder_width (int): The decoder's width W. Defaults to 512.
        dropout (float): Dropout of the MLP. Defaults to 0.1.
        label_smoothing (float): Of the cross-entropy. Defaults to 0.
        loss_weight (float): Defaults to 1.0.
        score_weight (float): Weight of this head's log-probabilities in the
            model's answer mix. Defaults to 1.0.
        init_cfg (dict, optional): Defaults to None.

    Shape:
        - answer: ``answer_logits`` [B, A].
    """

    def __init__(
        self,
        num_answers: int,
        decoder_width: int = 512,
        dropout: float = 0.1,
        label_smoothing: float = 0.0,
        loss_weight: float = 1.0,
        score_weight: float = 1.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_answers < 1:
            raise ValueError(
                f'DecoderAnswerClassifierHead: num_answers must be >= 1, got '
                f'{num_answers}'
            )
        self.num_answers = num_answers
        self.classifier = nn.Sequential(
            nn.Linear(decoder_width, 2 * decoder_width),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(2 * decoder_width, num_answers),
        )
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        self.score_weight = score_weight

    def answer(self, model, text: dict, video: dict) -> Dict[str, Tensor]:
        """``answer_logits`` of question b about video b."""
        memory, mask = model.encode_question_memory(text, video)
        return dict(
            answer_logits=self.classifier(first_output(model, memory, mask))
        )

    def loss(
        self,
        model,
        inputs: Dict[str, Tensor],
        data_samples: Optional[Sequence],
        features: Dict[str, dict],
    ) -> Dict[str, Tensor]:
        """``loss_answer_cls``: cross-entropy of this rank's questions.

        Raises:
            ValueError: If an answer index is outside ``[0, A)`` (train with
                ``drop_unknown_answers=True``).
        """
        gt = stack_gt_answers(data_samples, inputs['input_ids'].device)
        if bool(((gt < 0) | (gt >= self.num_answers)).any()):
            raise ValueError(
                f'DecoderAnswerClassifierHead: answer indices must be in [0, '
                f'{self.num_answers}), got {gt.tolist()[:8]}; train with '
                'drop_unknown_answers=True'
            )
        logits = self.answer(model, features['text'], features['video'])
        loss = F.cross_entropy(
            logits['answer_logits'].float(),
            gt,
            label_smoothing=self.label_smoothing,
        )
        return dict(loss_answer_cls=self.loss_weight * loss)
