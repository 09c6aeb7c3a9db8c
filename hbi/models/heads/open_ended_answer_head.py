"""VideoQA on the encoder-decoder (docs/en/methods/hbi_v2.md B2): the
answer generated as text by the decoder from the memory of the video's level
tokens and the question's tokens (``model.encode_question_memory``)."""

from typing import Dict, Optional, Sequence

from mmengine.model import BaseModule
from torch import Tensor

from hbi.models.decoders import check_generation_args
from hbi.registry import MODELS, TOKENIZERS

from .caption_head import teacher_forced_loss

#: Decoder inputs of the true answer (``TokenizeCaptionForDecoder`` with
#: ``key='answer'``).
ANSWER_KEYS = ('answer_input_ids', 'answer_target_ids', 'answer_mask')


@MODELS.register_module()
class OpenEndedAnswerHead(BaseModule):
    """Generate the answer as text with the model's decoder.

    Training: the true answer, tokenised for teacher forcing
    (:data:`ANSWER_KEYS`, ``TokenizeCaptionForDecoder(key='answer')``), is
    scored token by token (``loss``, the caption loss by default: label
    smoothed, mean over each answer's tokens, then over answers). Test:
    greedy (or beam) decoding from the question memory; the strings are
    compared with the true answers after normalisation (case, articles,
    punctuation) by ``VideoQAAccuracy``, so an answer outside the training
    vocabulary can be right.

    Args:
        loss (dict): Token loss. Defaults to ``CaptionCrossEntropyLoss``
            with label smoothing 0.1.
        generation (dict, optional): ``generate`` arguments; defaults
            ``max_length=8`` (start and end included), ``num_beams=1``.
        tokenizer (dict): Decodes the ids. Defaults to ``CLIPBPETokenizer``.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(
        self,
        loss: dict = dict(type='CaptionCrossEntropyLoss', label_smoothing=0.1),
        generation: Optional[dict] = None,
        tokenizer: dict = dict(type='CLIPBPETokenizer'),
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_fn = MODELS.build(loss)
        self.generation = dict(
            dict(max_length=8, num_beams=1, no_repeat_ngram_size=0),
            **(generation or {}),
        )
        check_generation_args(
            self.generation['max_length'], self.generation['num_beams']
        )
        self.tokenizer = TOKENIZERS.build(tokenizer)

    def answer(self, model, text: dict, video: dict) -> Dict[str, list]:
        """``answer_text``: the generated answer of question b about video
        b."""
        memory, mask = model.encode_question_memory(text, video)
        ids = model.decoder.generate(memory, mask, **self.generation)
        return dict(answer_text=self.tokenizer.decode(ids))

    def loss(
        self,
        model,
        inputs: Dict[str, Tensor],
        data_samples: Optional[Sequence],
        features: Dict[str, dict],
    ) -> Dict[str, Tensor]:
        """``loss_answer_gen`` of this rank's answers.

        Raises:
            KeyError: If the batch lacks the answer's decoder inputs.
        """
        missing = [key for key in ANSWER_KEYS if key not in inputs]
        if missing:
            raise KeyError(
                f'OpenEndedAnswerHead: the batch has no {missing}: add '
                "dict(type='TokenizeCaptionForDecoder', key='answer') to the "
                'text pipeline and the keys to the packing text_keys'
            )
        memory, memory_mask = model.encode_question_memory(
            features['text'], features['video']
        )
        return dict(
            loss_answer_gen=teacher_forced_loss(
                model.decoder,
                self.loss_fn,
                *(inputs[key] for key in ANSWER_KEYS),
                memory,
                memory_mask,
            )
        )
