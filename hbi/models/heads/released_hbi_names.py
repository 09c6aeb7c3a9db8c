"""Released HBI checkpoint names -> ``HierarchicalBanzhafHead`` names.

The released retrieval checkpoint (``checkpoint_layouts.json`` key
``hbi_retrieval_vit_b32``) keeps the head's modules at the top level next to
``clip.*``; level suffixes are '' (entity), '0' (action), '1' (event) for
weight heads and estimators, and merge steps are numbered 0 and 1.

=============================  ======================================
released                       ``HierarchicalBanzhafHead``
=============================  ======================================
``text_weight_fc{,0,1}.*``     ``text_weight_heads.{0,1,2}.*``
``video_weight_fc{,0,1}.*``    ``video_weight_heads.{0,1,2}.*``
``t_ctm{0,1}.conv.conv.*``     ``text_merges.{0,1}.conv.*``
``t_ctm{0,1}.{norm,score}.*``  ``text_merges.{0,1}.{norm,score}.*``
``t_block{0,1}.*``             ``text_blocks.{0,1}.*``
``v_ctm*`` / ``v_block*``      ``video_merges.*`` / ``video_blocks.*``
``banzhafmodel{,0,1}.*``       ``banzhaf_estimators.{0,1,2}.*``
``banzhafteacher.*``           ``teacher.*``
=============================  ======================================
"""

import re
from typing import Dict, Mapping

from torch import Tensor

_LEVEL_OF_SUFFIX = {'': 0, '0': 1, '1': 2}
_MODALITY = {'t': 'text', 'v': 'video', 'text': 'text', 'video': 'video'}

_WEIGHT_FC = re.compile(r'^(text|video)_weight_fc(\d?)\.(.+)$')
_MERGE = re.compile(r'^([tv])_ctm(\d)\.(.+)$')
_BLOCK = re.compile(r'^([tv])_block(\d)\.(.+)$')
_ESTIMATOR = re.compile(r'^banzhafmodel(\d?)\.(.+)$')
_TEACHER = re.compile(r'^banzhafteacher\.(.+)$')


def released_head_key_to_hbi(key: str) -> str:
    """Head name of one released key, or '' if the key is not a head key.

    Args:
        key (str): A released state-dict key (a leading ``module.`` is
            ignored).

    Returns:
        str: The ``HierarchicalBanzhafHead`` key, '' for non-head keys
        (``clip.*``, ``transformerClip.*``, ...).
    """
    if key.startswith('module.'):
        key = key[len('module.') :]
    match = _WEIGHT_FC.match(key)
    if match:
        modality, suffix, rest = match.groups()
        level = _LEVEL_OF_SUFFIX[suffix]
        return f'{modality}_weight_heads.{level}.{rest}'
    match = _MERGE.match(key)
    if match:
        modality, step, rest = match.groups()
        if rest.startswith('conv.conv.'):
            rest = rest[len('conv.') :]
        return f'{_MODALITY[modality]}_merges.{step}.{rest}'
    match = _BLOCK.match(key)
    if match:
        modality, step, rest = match.groups()
        return f'{_MODALITY[modality]}_blocks.{step}.{rest}'
    match = _ESTIMATOR.match(key)
    if match:
        suffix, rest = match.groups()
        return f'banzhaf_estimators.{_LEVEL_OF_SUFFIX[suffix]}.{rest}'
    match = _TEACHER.match(key)
    if match:
        return f'teacher.{match.group(1)}'
    return ''


def convert_released_hbi_head(
    state_dict: Mapping[str, Tensor],
) -> Dict[str, Tensor]:
    """Keep the head keys of a released HBI state dict, renamed.

    Non-head keys (CLIP, temporal module, ...) are left out; the caller
    converts them with their own mapping. The result loads strictly into a
    3-level ``HierarchicalBanzhafHead`` (for fewer levels, drop the keys of
    the missing levels/steps first).

    Args:
        state_dict (Mapping[str, Tensor]): Released parameters.

    Returns:
        dict[str, Tensor]: ``HierarchicalBanzhafHead`` parameters.
    """
    converted = {}
    for key, value in state_dict.items():
        new_key = released_head_key_to_hbi(key)
        if new_key:
            converted[new_key] = value
    return converted
