"""Token masks of a caption from its part-of-speech tags (TACo, Clover).

Both transforms read ``caption_tags`` (the caption's entry of the dataset's
tag file, see :mod:`hbi.datasets.caption_tags`) and the ``input_ids`` /
``attention_mask`` of :class:`TokenizeText`, whose layout is
``[start, bpe_0, ..., bpe_{n-1}, end, 0, ...]`` with the BPE tokens cut to
``max_length - 2``: BPE token ``t`` sits at position ``t + 1``.
"""

from typing import List

import numpy as np
from mmcv.transforms import BaseTransform

from hbi.registry import TRANSFORMS

from ..caption_tags import content_word_tokens, semantic_units


def _num_words_in_ids(results: dict) -> int:
    """BPE tokens of the caption kept in ``input_ids`` (after truncation),
    checked against the tag entry."""
    tags = results['caption_tags']
    length = len(results['input_ids'])
    kept = int(np.asarray(results['attention_mask']).sum()) - 2
    expected = min(len(tags['tokens']), length - 2)
    if kept != expected:
        raise ValueError(
            f'caption {results.get("caption")!r}: the tag file aligns '
            f'{len(tags["tokens"])} BPE tokens, but the tokenizer kept {kept} '
            f'of {length - 2} (a tag file of another tokenizer or caption?)'
        )
    return kept


@TRANSFORMS.register_module()
class ContentWordMask(BaseTransform):
    """Mark the tokens of content words (nouns and verbs), TACo's
    token-aware loss's words.

    **Required Keys:** ``caption_tags``, ``input_ids``, ``attention_mask``

    **Added Keys:** ``content_word_mask`` (int64 array, 1 on every BPE token
    of a noun or verb)

    Shape:
        - ``content_word_mask``: [max_length], like ``input_ids``.
    """

    needs_caption_tags = True
    provides = ('content_word_mask',)

    def transform(self, results: dict) -> dict:
        kept = _num_words_in_ids(results)
        mask = np.zeros(len(results['input_ids']), dtype=np.int64)
        content = content_word_tokens(results['caption_tags'])[:kept]
        mask[1 : kept + 1] = content
        results['content_word_mask'] = mask
        return results


@TRANSFORMS.register_module()
class SemanticTextMask(BaseTransform):
    """Clover's semantic masking: hide whole nouns and verb phrases.

    Each unit (a noun, or a verb with the particles, adverbs and
    adpositions right after it; all its BPE tokens) is masked with
    probability ``prob``; a caption with units but none drawn gets one
    drawn uniformly, so that the masked view always differs from the full
    one. CLIP's vocabulary has no mask token, so the masked view is the
    caption with those tokens hidden from attention: ``masked_attention_mask``
    is ``attention_mask`` with them set to 0 (the other tokens keep their
    positions). A caption without any noun or verb keeps its full mask.

    **Required Keys:** ``caption_tags``, ``input_ids``, ``attention_mask``

    **Added Keys:** ``masked_attention_mask`` (int64 array)

    Args:
        prob (float): Probability of masking each unit. Defaults to 0.3.

    Shape:
        - ``masked_attention_mask``: [max_length], like ``attention_mask``.
    """

    needs_caption_tags = True
    provides = ('masked_attention_mask',)

    def __init__(self, prob: float = 0.3) -> None:
        if not 0 < prob <= 1:
            raise ValueError(f'prob must be in (0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        kept = _num_words_in_ids(results)
        units: List[List[int]] = [
            [t for t in unit if t < kept]
            for unit in semantic_units(results['caption_tags'])
        ]
        units = [unit for unit in units if unit]
        chosen = [unit for unit in units if np.random.random() < self.prob]
        if units and not chosen:
            chosen = [units[np.random.randint(len(units))]]
        mask = np.array(results['attention_mask'], dtype=np.int64)
        for unit in chosen:
            mask[[t + 1 for t in unit]] = 0
        results['masked_attention_mask'] = mask
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
