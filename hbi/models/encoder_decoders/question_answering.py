"""VideoQA on the encoder-decoder: the question memory, and the answer of
the model from its QA task heads (docs/en/methods/hbi_v2.md B2)."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

#: The memory part of the question tokens.
QUESTION_PART = 'question'


class QuestionAnsweringMixin:
    """What :class:`VideoTextEncoderDecoder` needs to answer questions.

    A QA task head has ``answer(model, text, video) -> dict`` giving
    ``'answer_logits'`` [B, A] over the answer vocabulary (and then
    ``num_answers`` and ``score_weight``) and / or ``'answer_text'`` (one
    generated string per question). :meth:`answer` asks every QA head and
    mixes the logit heads' scores as log-probabilities weighted by their
    ``score_weight`` (a config choice: ``0`` leaves a head out of the mix,
    which still reports its own ``'{name}_answer_logits'``), so heads
    trained with different losses share one scale; the generating head's
    strings are passed on as ``'answer_text'``.
    """

    def qa_heads(self) -> Dict[str, object]:
        """The task heads that answer questions, by name."""
        return {
            name: head
            for name, head in self.task_heads.items()
            if hasattr(head, 'answer')
        }

    @property
    def num_answers(self) -> Optional[int]:
        """The answer vocabulary size of the logit heads (None if the model
        only generates answers).

        Raises:
            ValueError: If two logit heads have vocabularies of other sizes.
        """
        sizes = {
            name: head.num_answers
            for name, head in self.qa_heads().items()
            if getattr(head, 'num_answers', None)
        }
        if len(set(sizes.values())) > 1:
            raise ValueError(
                f'QA task heads classify into different vocabularies: {sizes}'
            )
        return next(iter(sizes.values()), None)

    def encode_question_memory(
        self, text: dict, video: dict
    ) -> Tuple[Tensor, Tensor]:
        """The decoder memory of question b about video b: the video's level
        tokens (reconstructed against the question when the head has a
        reconstruction neck) and the question's tokens.

        Args:
            text (dict): :meth:`encode_text` of the questions.
            video (dict): :meth:`encode_video` of their videos, row b for
                question b.

        Returns:
            tuple[Tensor, Tensor]: memory [B, M, D] and mask [B, M].

        Raises:
            ValueError: If the memory has no ``'question'`` part
                (``extra_memory_parts=('question',)`` in the config).
        """
        if QUESTION_PART not in self.memory.names:
            raise ValueError(
                f'{type(self).__name__}: VideoQA heads need the question in '
                "the memory: set extra_memory_parts=('question',)"
            )
        tokens, mask = text['entity_tokens'], text.get('entity_mask')
        return self.encode_memory(
            video,
            extra_parts=[(QUESTION_PART, tokens, mask)],
            reconstruct_against=(tokens, mask),
        )

    def answer(self, text: dict, video: dict) -> Dict[str, object]:
        """Answers of question b about video b (encoded features).

        Returns:
            dict: ``'answer_logits'`` [B, A] (the weighted mix of the logit
            heads' log-probabilities) and ``'{name}_answer_logits'`` per
            logit head, when there is one; ``'answer_text'`` (list[str])
            when a head generates.

        Raises:
            ValueError: If the model has no QA task head, or two heads
                generate text.
        """
        heads = self.qa_heads()
        if not heads:
            raise ValueError(
                f'{type(self).__name__} has no VideoQA task head (task_heads'
                f' {list(self.task_heads)})'
            )
        out: Dict[str, object] = {}
        mixed: List[Tensor] = []
        for name, head in heads.items():
            result = head.answer(self, text, video)
            if 'answer_logits' in result:
                logits = result['answer_logits']
                out[f'{name}_answer_logits'] = logits
                if head.score_weight:
                    mixed.append(
                        head.score_weight * logits.float().log_softmax(-1)
                    )
            if 'answer_text' in result:
                if 'answer_text' in out:
                    raise ValueError(
                        'two QA task heads generate answers; keep one'
                    )
                out['answer_text'] = result['answer_text']
        if mixed:
            out['answer_logits'] = torch.stack(mixed).sum(0)
        return out

    def predict_answers(
        self, features: Dict[str, dict], data_samples: Sequence
    ) -> Sequence:
        """Write ``pred_answer`` (index, from the mixed scores) and / or
        ``pred_text`` (generated) into each data sample."""
        out = self.answer(features['text'], features['video'])
        if 'answer_logits' in out:
            answers = out['answer_logits'].argmax(-1).tolist()
            for sample, answer in zip(data_samples, answers):
                sample.set_field(answer, 'pred_answer')
        for sample, text in zip(data_samples, out.get('answer_text', ())):
            sample.set_field(text, 'pred_text')
        return data_samples
