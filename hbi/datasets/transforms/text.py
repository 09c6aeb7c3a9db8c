"""Tokenize an item's caption into CLIP ids (method A1)."""

from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hbi.registry import TOKENIZERS, TRANSFORMS


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Turn ``caption`` into padded CLIP token ids and their mask.

    **Required Keys:** ``caption``

    **Added Keys:** ``input_ids`` (int64 array), ``attention_mask`` (int64
    array, 1 on start, words and end tokens)

    Args:
        max_length (int): Total tokens incl. start and end (Lt). Defaults
            to 32.
        tokenizer (dict, optional): Config of a ``TOKENIZERS`` entry with an
            ``encode(texts, max_length)`` method. Defaults to
            ``dict(type='CLIPBPETokenizer')``.

    Shape:
        - ``input_ids``, ``attention_mask``: [max_length].
    """

    def __init__(
        self, max_length: int = 32, tokenizer: Optional[dict] = None
    ) -> None:
        self.max_length = max_length
        self.tokenizer_cfg = dict(tokenizer or dict(type='CLIPBPETokenizer'))
        self.tokenizer = TOKENIZERS.build(dict(self.tokenizer_cfg))

    def transform(self, results: dict) -> dict:
        ids, mask = self.tokenizer.encode(
            [results['caption']], max_length=self.max_length
        )
        results['input_ids'] = ids[0].numpy()
        results['attention_mask'] = mask[0].numpy()
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(max_length={self.max_length}, '
            f'tokenizer={self.tokenizer_cfg})'
        )


@TRANSFORMS.register_module()
class TokenizeSegments(TokenizeText):
    """Tokenize the sentence of each timestamped segment of a video.

    Put it after the frame loading (which drops the segments it cannot
    sample) in the video pipeline.

    **Required Keys:** ``segments`` (list of ``dict(start, end, sentence)``;
    none = no segment)

    **Added Keys:** ``segment_input_ids``, ``segment_attention_mask`` (int64
    arrays, one row per segment)

    Args:
        max_length (int): Tokens per sentence incl. start and end.
            Defaults to 32.
        tokenizer (dict, optional): As :class:`TokenizeText`.

    Shape:
        - ``segment_input_ids``, ``segment_attention_mask``:
          [num_segments, max_length].
    """

    provides = ('segment_sentences',)

    def transform(self, results: dict) -> dict:
        sentences = [s['sentence'] for s in results.get('segments') or ()]
        if sentences:
            ids, mask = self.tokenizer.encode(
                sentences, max_length=self.max_length
            )
            ids, mask = ids.numpy(), mask.numpy()
        else:
            ids = mask = np.zeros((0, self.max_length), dtype=np.int64)
        results['segment_input_ids'] = ids
        results['segment_attention_mask'] = mask
        return results


@TRANSFORMS.register_module()
class TokenizeCaptionForDecoder(TokenizeText):
    """Turn ``caption`` into a decoder's input and target (teacher forcing).

    The caption is tokenised as by :class:`TokenizeText` (start token,
    words, end token, padding, ``max_length`` in all), then shifted: the
    input is every token but the last, the target every token but the
    first, so the input at position t (the start token or a word) predicts
    the target at t (the next word or the end token). ``key`` names another
    text to tokenise the same way (e.g. ``'answer'`` for open-ended VideoQA,
    adding ``answer_input_ids`` ...).

    With ``num_captions`` = K > 1 the decoder is taught K captions of the
    item's video at once (one memory, K targets): the item's caption first,
    then the video's other references (``gt_captions``) in file order; rows
    past the video's references are all padding (mask 0). The retrieval
    input (``TokenizeText``) stays the item's caption alone.

    **Required Keys:** ``caption`` (``key``); ``gt_captions`` when
    ``num_captions`` > 1

    **Added Keys:** ``caption_input_ids``, ``caption_target_ids``,
    ``caption_mask`` (``{key}_...``; int64 arrays; the mask is 1 where the
    target is a real token: it is also the decoder's attention mask, since a
    causal decoder never lets a later position change an earlier one)

    Args:
        max_length (int): Tokens before the shift, start and end included
            (>= 2). Defaults to 32.
        num_captions (int): Captions per item. Defaults to 1.
        tokenizer (dict, optional): As :class:`TokenizeText`.
        key (str): The text to tokenise and the prefix of the added keys.
            Defaults to ``'caption'``.

    Shape:
        - each added key: [max_length - 1], or [num_captions, max_length - 1]
          when ``num_captions`` > 1.
    """

    def __init__(
        self,
        max_length: int = 32,
        num_captions: int = 1,
        tokenizer: Optional[dict] = None,
        key: str = 'caption',
    ) -> None:
        super().__init__(max_length=max_length, tokenizer=tokenizer)
        if not isinstance(num_captions, int) or num_captions < 1:
            raise ValueError(
                f'num_captions must be an int >= 1, got {num_captions!r}'
            )
        self.num_captions = num_captions
        self.key = key

    def _captions(self, results: dict) -> list:
        caption = results[self.key]
        if self.num_captions == 1:
            return [caption]
        if 'gt_captions' not in results:
            raise KeyError(
                'TokenizeCaptionForDecoder(num_captions='
                f"{self.num_captions}) needs the video's gt_captions (a "
                'captioning dataset gives them)'
            )
        others = list(results['gt_captions'])
        if caption in others:
            others.remove(caption)
        return [caption, *others][: self.num_captions]

    def transform(self, results: dict) -> dict:
        captions = self._captions(results)
        ids, mask = self.tokenizer.encode(captions, max_length=self.max_length)
        if self.num_captions > 1:
            rows = self.num_captions - len(captions)
            ids = torch.cat([ids, ids.new_zeros(rows, ids.shape[1])])
            mask = torch.cat([mask, mask.new_zeros(rows, mask.shape[1])])
        else:
            ids, mask = ids[0], mask[0]
        ids, mask = ids.numpy(), mask.numpy()
        results[f'{self.key}_input_ids'] = ids[..., :-1]
        results[f'{self.key}_target_ids'] = ids[..., 1:]
        results[f'{self.key}_mask'] = mask[..., 1:]
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(max_length={self.max_length}, '
            f'num_captions={self.num_captions}, key={self.key!r}, '
            f'tokenizer={self.tokenizer_cfg})'
        )
