"""Released HBI QA checkpoint names -> ``LevelAnswerHead`` names.

The released MSRVTT-QA checkpoint (``checkpoint_layouts.json`` key
``hbi_msrvtt_qa_vit_b16``) holds the retrieval model's keys (converted by
:mod:`hbi.models.heads.released_hbi_names`) plus, per level (suffix ''
entity, '0' action, '1' event), one answer classifier:

===========================  ===============================================
released                     ``LevelAnswerHead``
===========================  ===============================================
``t_weight{,0,1}.*``         ``classifiers.{0,1,2}.text_weight.*``
``v_weight{,0,1}.*``         ``classifiers.{0,1,2}.video_weight.*``
``t_proj{,0,1}.*``           ``classifiers.{0,1,2}.text_proj.*``
``v_proj{,0,1}.*``           ``classifiers.{0,1,2}.video_proj.*``
``classifier{,0,1}.*``       ``classifiers.{0,1,2}.classifier.*``
===========================  ===============================================
"""

import re
from typing import Dict, Mapping

from torch import Tensor

_LEVEL_OF_SUFFIX = {'': 0, '0': 1, '1': 2}
_PART = {
    't_weight': 'text_weight',
    'v_weight': 'video_weight',
    't_proj': 'text_proj',
    'v_proj': 'video_proj',
    'classifier': 'classifier',
}
_QA_KEY = re.compile(r'^(t_weight|v_weight|t_proj|v_proj|classifier)(\d?)\.')
#: A key only the released QA checkpoint has (layout detection).
QA_MARKER = 'classifier.0.weight'


def released_qa_key_to_hbi(key: str) -> str:
    """``LevelAnswerHead`` name of one released QA key, or '' if the key is
    not an answer-head key.

    Args:
        key (str): A released state-dict key (a leading ``module.`` is
            ignored).

    Returns:
        str: The head key, '' for other keys.
    """
    if key.startswith('module.'):
        key = key[len('module.') :]
    match = _QA_KEY.match(key)
    if not match:
        return ''
    part, suffix = match.groups()
    rest = key[match.end() :]
    return f'classifiers.{_LEVEL_OF_SUFFIX[suffix]}.{_PART[part]}.{rest}'


def convert_released_qa_head(
    state_dict: Mapping[str, Tensor],
) -> Dict[str, Tensor]:
    """Keep the answer-head keys of a released QA state dict, renamed.

    The result loads strictly into a 3-level ``LevelAnswerHead``.

    Args:
        state_dict (Mapping[str, Tensor]): Released parameters.

    Returns:
        dict[str, Tensor]: ``LevelAnswerHead`` parameters.
    """
    converted = {}
    for key, value in state_dict.items():
        new_key = released_qa_key_to_hbi(key)
        if new_key:
            converted[new_key] = value
    return converted
