"""One vector per text / video for the first stage of a two-stage search.

Design: the first stage must be a plain inner product so that an
ANN library (faiss) or one matmul can scan a large gallery; the model's full
similarity then re-ranks the few candidates it returns.

- meanP (:class:`~hbi.models.heads.MeanPoolingHead`): its similarity *is* an
  inner product of one vector per item, so the first stage uses the pooled
  ``sentence`` / ``video`` vectors themselves (re-ranking changes nothing).
- HBI (:class:`~hbi.models.heads.HierarchicalBanzhafHead`): the entity-level
  WTI score of text ``a`` and video ``b`` is
  ``1/2 (sum_i w_a[i] max_j <t_i, v_j> + sum_j w_b[j] max_i <t_i, v_j>)``
  with normalised tokens. Replacing the max over frames by their mean gives
  ``sum_i w_a[i] <t_i, mean_j v_j> = <sum_i w_a[i] t_i, mean_j v_j>``, a
  lower bound of the text half that factorises into one vector per item:
  the text vector is the token-weight-weighted mean of the normalised word
  tokens (weights = the head's own softmax over real tokens), the video
  vector the mean of the normalised real frame tokens. Both are
  L2-normalised again (a per-item scale does not change a text's ranking of
  videos but keeps faiss' scores in [-1, 1]).
"""

from typing import Dict, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from hbi.models.layers.weighted_token_interaction import (
    masked_token_weights,
    normalize_tokens,
)

__all__ = ['first_stage_vectors']


def first_stage_vectors(
    features: Dict[str, Tensor], modality: Literal['text', 'video']
) -> Tensor:
    """The first-stage vector of each encoded item (see the module doc).

    Args:
        features (dict[str, Tensor]): Output of ``model.encode_text`` or
            ``model.encode_video`` for a batch.
        modality (str): ``'text'`` or ``'video'``.

    Returns:
        Tensor: L2-normalised float vectors.

    Raises:
        ValueError: If ``modality`` is unknown or the features are neither
            HBI's (``entity_tokens``) nor meanP's (``sentence`` / ``video``).

    Shape:
        - features: HBI ``entity_tokens`` (B, L, D), ``entity_mask`` (B, L),
          ``entity_weight_logits`` (B, L); meanP ``sentence`` or ``video``
          (B, D).
        - output: (B, D).
    """
    if modality not in ('text', 'video'):
        raise ValueError(
            f"first_stage_vectors: modality must be 'text' or "
            f"'video', got {modality!r}"
        )
    if 'entity_tokens' in features:
        tokens = features['entity_tokens'].float()
        mask = features.get('entity_mask')
        if mask is None:
            mask = tokens.new_ones(tokens.shape[:2])
        normed = normalize_tokens(tokens, mask)
        if modality == 'text':
            weights = masked_token_weights(
                features['entity_weight_logits'].float(), mask
            )
        else:
            real = (mask > 0).to(tokens.dtype)
            weights = real / real.sum(dim=1, keepdim=True).clamp(min=1.0)
        return F.normalize(torch.einsum('bl,bld->bd', weights, normed), dim=-1)
    key = 'sentence' if modality == 'text' else 'video'
    if key in features:
        return F.normalize(features[key].float(), dim=-1)
    raise ValueError(
        f'first_stage_vectors: cannot make a {modality} vector from features '
        f'with keys {sorted(features)}; expected HBI (entity_tokens, '
        f'entity_mask, entity_weight_logits) or meanP ({key!r})'
    )
