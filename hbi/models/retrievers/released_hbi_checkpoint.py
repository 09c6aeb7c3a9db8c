"""Foreign checkpoint layouts -> :class:`VideoTextRetriever` state dicts.

Three foreign layouts are recognised (names and shapes in
``shared/reference/checkpoint_layouts.json``):

- ``'released_hbi'``: the HBI release's ``pytorch_model.bin`` (and CLIP4Clip
  checkpoints, which hold the same ``clip.*`` / ``transformerClip.*`` parts
  without the head): ``clip.*`` -> the towers and ``logit_scale`` (through
  :func:`convert_openai_clip`), ``frame_position_embeddings.weight`` /
  ``transformerClip.resblocks.{i}.*`` -> ``temporal.*`` (seqTransf),
  ``lstm_visual.*`` -> ``temporal.lstm_visual.*`` (seqLSTM), head keys ->
  ``head.*`` (through :func:`convert_released_hbi_head`);
- ``'released_hbi_qa'``: the release's MSRVTT-QA ``pytorch_model.bin``
  (:class:`hbi.models.answerers.VideoQuestionAnswerer`): the keys above plus
  the per-level answer classifiers ``t_weight*``, ``v_weight*``, ``t_proj*``,
  ``v_proj*``, ``classifier*`` -> ``answer_head.*`` (through
  :func:`convert_released_qa_head`);
- ``'openai_clip'``: OpenAI's ``ViT-B-32.pt``: the towers and ``logit_scale``
  only (every other module keeps its initialisation);
- ``'estimator'``: a released Banzhaf estimator file: its teacher weights ->
  ``head.teacher.*``.

``'hbi'`` is the project's own layout (``text_encoder.*``, ``head.*``, ...).
The conversion is a pure renaming / splitting / transposing; keys it does
not know are kept under their own names so that a checked load reports them
as unexpected. Shared by ``tools/model_converters/hbi_official_to_hbi.py`` and
:meth:`hbi.engine.runner.HBIRunner.load_checkpoint`.
"""

from typing import Dict, Mapping, Optional, Tuple

from torch import Tensor

from hbi.models.backbones.openai_clip_conversion import (
    convert_openai_clip,
    convert_openai_resblocks,
)
from hbi.models.heads.released_hbi_names import (
    convert_released_hbi_head,
    released_head_key_to_hbi,
)
from hbi.models.heads.released_hbi_qa_names import (
    QA_MARKER,
    convert_released_qa_head,
    released_qa_key_to_hbi,
)

StateDict = Dict[str, Tensor]

#: Top-level modules of ``VideoTextRetriever``: a state dict whose keys start
#: with these is in the project's own layout.
OWN_PREFIXES = (
    'text_encoder.',
    'video_encoder.',
    'temporal.',
    'head.',
    'logit_scale',
    # VideoQuestionAnswerer
    'answer_head.',
    'data_preprocessor.',
    # extra losses and a second stage (TACo, Clover, re-ranking)
    'fusion_encoder.',
    'extra_losses.',
    'reranker.',
    # BanzhafEstimatorTrainer
    'retriever.',
    'estimator.',
    # VideoTextEncoderDecoder
    'decoder.',
    'memory.',
    'task_heads.',
)
#: Keys of OpenAI TorchScript archives that are not weights.
_OPENAI_META_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_OPENAI_MARKERS = ('visual.conv1.weight', 'token_embedding.weight')
#: Parameter names of one released ``BanzhafModule``.
ESTIMATOR_KEYS = (
    'Q',
    'K',
    'V',
    'cnn1.weight',
    'cnn1.bias',
    'cnn2.weight',
    'cnn2.bias',
    'bn.weight',
    'bn.bias',
    'bn.running_mean',
    'bn.running_var',
    'bn.num_batches_tracked',
)
#: Where an estimator file may keep the teacher, most specific first.
ESTIMATOR_PREFIXES = (
    'banzhafteacher.',
    'head.teacher.',
    'teacher.',
    'banzhafmodel.',
    '',
)


def strip_module_prefix(state_dict: Mapping[str, Tensor]) -> StateDict:
    """Drop a ``module.`` (DataParallel / DDP) prefix from every key."""
    return {
        (k[len('module.') :] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }


def _estimator_part(state_dict: Mapping[str, Tensor]) -> Optional[StateDict]:
    """The teacher's weights (bare ``BanzhafModule`` names) of an estimator
    file, or None if the file is not one."""
    for prefix in ESTIMATOR_PREFIXES:
        picked = {
            k[len(prefix) :]: v
            for k, v in state_dict.items()
            if k.startswith(prefix) and k[len(prefix) :] in ESTIMATOR_KEYS
        }
        if {'Q', 'K', 'V', 'cnn1.weight', 'cnn2.weight'} <= set(picked):
            return picked
    return None


def detect_layout(state_dict: Mapping[str, Tensor]) -> str:
    """Name the layout of a (``module.``-stripped) state dict.

    Returns:
        str: ``'hbi'``, ``'released_hbi'``, ``'released_hbi_qa'``,
        ``'openai_clip'``, ``'estimator'`` or ``'unknown'``.
    """
    keys = list(state_dict)
    if not keys:
        return 'unknown'
    if any(k.startswith('clip.') for k in keys):
        return 'released_hbi_qa' if QA_MARKER in state_dict else 'released_hbi'
    if _estimator_part(state_dict) is not None and len(state_dict) <= len(
        ESTIMATOR_KEYS
    ):
        return 'estimator'
    if all(m in state_dict for m in _OPENAI_MARKERS):
        return 'openai_clip'
    if all(k.startswith(OWN_PREFIXES) for k in keys):
        return 'hbi'
    return 'unknown'


def convert_openai_clip_checkpoint(
    state_dict: Mapping[str, Tensor], prefix: str = ''
) -> StateDict:
    """OpenAI CLIP names (optionally under ``prefix``, e.g. ``'clip.'``) ->
    ``text_encoder.*``, ``video_encoder.*`` and ``logit_scale``.

    Args:
        state_dict (Mapping[str, Tensor]): Any state dict; only the keys
            under ``prefix`` are read.
        prefix (str): Prefix of the CLIP keys. Defaults to ''.

    Returns:
        dict[str, Tensor]: Retriever names.
    """
    clip = {
        k[len(prefix) :]: v
        for k, v in state_dict.items()
        if k.startswith(prefix) and k[len(prefix) :] not in _OPENAI_META_KEYS
    }
    towers = convert_openai_clip(clip)
    out = {f'text_encoder.{k}': v for k, v in towers['text'].items()}
    out.update({f'video_encoder.{k}': v for k, v in towers['vision'].items()})
    if towers['logit_scale'] is not None:
        out['logit_scale'] = towers['logit_scale']
    return out


def convert_released_hbi_checkpoint(
    state_dict: Mapping[str, Tensor],
) -> StateDict:
    """Convert every key of a released HBI (retrieval or QA) or CLIP4Clip
    state dict.

    Args:
        state_dict (Mapping[str, Tensor]): Released names (a ``module.``
            prefix is ignored).

    Returns:
        dict[str, Tensor]: ``VideoTextRetriever`` names (for the QA model
        also ``answer_head.*``, ``VideoQuestionAnswerer``). Keys of no known
        part keep their released names, so that a checked load lists them
        as unexpected.
    """
    state_dict = strip_module_prefix(state_dict)
    out = convert_openai_clip_checkpoint(state_dict, prefix='clip.')
    consumed = {k for k in state_dict if k.startswith('clip.')}
    temporal = convert_openai_resblocks(
        state_dict, 'transformerClip.resblocks.', 'temporal.layers.'
    )
    out.update(temporal)
    consumed |= {
        k for k in state_dict if k.startswith('transformerClip.resblocks.')
    }
    for key, value in state_dict.items():
        if key == 'frame_position_embeddings.weight' or key.startswith(
            'lstm_visual.'
        ):
            out[f'temporal.{key}'] = value
            consumed.add(key)
    for key, value in convert_released_hbi_head(state_dict).items():
        out[f'head.{key}'] = value
    consumed |= {k for k in state_dict if released_head_key_to_hbi(k)}
    for key, value in convert_released_qa_head(state_dict).items():
        out[f'answer_head.{key}'] = value
    consumed |= {k for k in state_dict if released_qa_key_to_hbi(k)}
    for key, value in state_dict.items():
        if key not in consumed:
            out[key] = value
    return out


def convert_released_estimator(state_dict: Mapping[str, Tensor]) -> StateDict:
    """Teacher weights of an estimator file -> ``head.teacher.*``.

    Raises:
        ValueError: The file holds no ``BanzhafModule`` weights.
    """
    part = _estimator_part(strip_module_prefix(state_dict))
    if part is None:
        raise ValueError(
            'not a Banzhaf estimator file: expected the keys '
            f'{list(ESTIMATOR_KEYS)} (optionally under one of '
            f'{[p for p in ESTIMATOR_PREFIXES if p]}); first keys: '
            f'{sorted(state_dict)[:8]}'
        )
    return {f'head.teacher.{k}': v for k, v in part.items()}


def convert_foreign_checkpoint(
    state_dict: Mapping[str, Tensor],
) -> Tuple[str, StateDict]:
    """Detect the layout of ``state_dict`` and convert it.

    Returns:
        tuple[str, dict]: The layout (see :func:`detect_layout`) and the
        state dict in retriever names (unchanged for ``'hbi'``).

    Raises:
        ValueError: An unknown layout, naming a few keys of the file.
    """
    state_dict = strip_module_prefix(state_dict)
    layout = detect_layout(state_dict)
    if layout == 'hbi':
        return layout, dict(state_dict)
    if layout in ('released_hbi', 'released_hbi_qa'):
        return layout, convert_released_hbi_checkpoint(state_dict)
    if layout == 'openai_clip':
        return layout, convert_openai_clip_checkpoint(state_dict)
    if layout == 'estimator':
        return layout, convert_released_estimator(state_dict)
    keys = sorted(state_dict)
    raise ValueError(
        'unrecognised checkpoint layout: expected the hbi layout (keys under '
        f'{list(OWN_PREFIXES)}), a released HBI/CLIP4Clip checkpoint (keys '
        "under 'clip.', e.g. 'clip.visual.conv1.weight', plus 't_ctm0.*', "
        "'transformerClip.*', ...), an OpenAI CLIP file ("
        f'{list(_OPENAI_MARKERS)}) or a Banzhaf estimator file; got '
        f'{len(keys)} keys, e.g. {keys[:8]}'
    )
