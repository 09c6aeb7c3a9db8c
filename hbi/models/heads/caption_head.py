"""Captioning as a task head of the encoder-decoder."""

from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from hbi.models.decoders import check_generation_args
from hbi.registry import MODELS, TOKENIZERS

#: Decoder inputs written by ``TokenizeCaptionForDecoder``.
CAPTION_KEYS = ('caption_input_ids', 'caption_target_ids', 'caption_mask')
#: beam 3 (docs/en/methods/hbi_v2.md B2), CLIP4Caption's 20 tokens.
DEFAULT_GENERATION = dict(
    max_length=20, num_beams=3, length_penalty=1.0, no_repeat_ngram_size=3
)


def teacher_forced_loss(
    decoder,
    loss_fn,
    input_ids: Tensor,
    target_ids: Tensor,
    mask: Tensor,
    memory: Tensor,
    memory_mask: Tensor,
) -> Tensor:
    """Token loss of teacher-forced texts (captions, answers) on a memory.

    Only the real target positions (``mask``) are scored, over the
    vocabulary or over the decoder's restricted output (``restrict_output``);
    ``loss_fn(logits, targets, text_index, num_texts)`` averages them
    (``CaptionCrossEntropyLoss``). With K texts per memory ([B, K, L]
    inputs) each is scored against its item's memory; rows with no real
    target are left out.

    Shape:
        - input_ids, target_ids, mask: [B, L] or [B, K, L]; memory:
          [B, M, D]; memory_mask: [B, M].
    """
    if input_ids.dim() == 3:  # [B, K, L]: K texts per memory
        per_item = input_ids.shape[1]
        input_ids, target_ids, mask = (
            x.flatten(0, 1) for x in (input_ids, target_ids, mask)
        )
        memory = memory.repeat_interleave(per_item, dim=0)
        memory_mask = memory_mask.repeat_interleave(per_item, dim=0)
    hidden = decoder(
        input_ids, mask, memory, memory_mask, return_logits=False
    )['hidden']
    real = mask.bool()
    targets = target_ids[real]
    columns = decoder.output_columns()
    logits = decoder.compute_logits(hidden[real], columns)
    if columns is not None:
        targets = _target_columns(targets, columns)
    return loss_fn(logits, targets, real.nonzero()[:, 0], input_ids.shape[0])


def _target_columns(targets: Tensor, columns: Tensor) -> Tensor:
    """Positions of the target ids among the scored ``columns``."""
    position = torch.searchsorted(columns, targets)
    position = position.clamp(max=len(columns) - 1)
    outside = columns[position] != targets
    if bool(outside.any()):
        raise ValueError(
            "target tokens outside the decoder's restricted output: "
            f'{targets[outside].unique()[:10].tolist()} (restrict it to a '
            'vocabulary that covers the training texts, e.g. with '
            'CaptionVocabularyHook)'
        )
    return position


@MODELS.register_module()
class CaptionHead(BaseModule):
    """Caption training (teacher forcing) and generation on the model's
    decoder, from the memory of the video's tokens.

    A task head of :class:`VideoTextEncoderDecoder`: :meth:`loss` and
    :meth:`predict` get the model (its ``decoder`` and ``encode_memory``)
    and the batch. Training reads :data:`CAPTION_KEYS` from ``inputs`` (a
    batch without them, e.g. one of another task, gives no loss); the
    memory is built without any text (see ``encode_memory``: the caption to
    predict must not reach the memory). Prediction writes ``pred_caption``
    (str) into every data sample.

    Args:
        loss (dict): The token loss. Defaults to
            ``CaptionCrossEntropyLoss`` with label smoothing 0.1.
        generation (dict): Arguments of the decoder's ``generate``
            (``max_length`` with start and end tokens, ``num_beams``,
            ``length_penalty``, ``no_repeat_ngram_size``, ...); missing keys
            take :data:`DEFAULT_GENERATION`.
        tokenizer (dict): Decodes the ids. Defaults to
            ``dict(type='CLIPBPETokenizer')``.
        init_cfg (dict, optional): Defaults to None.

    Shape:
        - inputs: ``caption_input_ids`` [B, L] (start token, words, end,
          padding), ``caption_target_ids`` [B, L] (the same shifted by one),
          ``caption_mask`` [B, L] (1 where the target is a real token); or
          [B, K, L] each, K captions of each video against its one memory
          (``TokenizeCaptionForDecoder(num_captions=K)``; rows with no real
          target are left out).
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
        self.generation = dict(DEFAULT_GENERATION, **(generation or {}))
        check_generation_args(
            self.generation['max_length'], self.generation['num_beams']
        )
        self.tokenizer = TOKENIZERS.build(tokenizer)

    def loss(
        self,
        model,
        inputs: Dict[str, Tensor],
        data_samples: Optional[Sequence],
        features: Dict[str, dict],
    ) -> Dict[str, Tensor]:
        """``loss_caption`` of this rank's captions (local tensors).

        Args:
            model: The encoder-decoder (``decoder``, ``encode_memory``).
            inputs (dict): The batch.
            data_samples (Sequence, optional): Unused.
            features (dict): ``'video'`` (and ``'text'``) features of the
                batch, encoded once by the model.

        Returns:
            dict[str, Tensor]: ``{'loss_caption': scalar}``, or ``{}`` if
            the batch has no caption inputs.
        """
        if not all(key in inputs for key in CAPTION_KEYS):
            return {}
        memory, memory_mask = model.encode_memory(features['video'])
        return dict(
            loss_caption=teacher_forced_loss(
                model.decoder,
                self.loss_fn,
                *(inputs[key] for key in CAPTION_KEYS),
                memory,
                memory_mask,
            )
        )

    def generate_ids(
        self, model, features: Dict[str, dict], **overrides
    ) -> Tensor:
        """Generated ids [B, L'] for the videos of ``features['video']``."""
        memory, memory_mask = model.encode_memory(features['video'])
        kwargs = dict(self.generation, **overrides)
        return model.decoder.generate(memory, memory_mask, **kwargs)

    def predict(
        self,
        model,
        inputs: Dict[str, Tensor],
        data_samples: Sequence,
        features: Dict[str, dict],
    ) -> Sequence:
        """Write ``pred_caption`` into each data sample."""
        captions = self.tokenizer.decode(self.generate_ids(model, features))
        for sample, caption in zip(data_samples, captions):
            sample.set_field(caption, 'pred_caption', field_type='data')
        return data_samples
