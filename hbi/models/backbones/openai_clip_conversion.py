"""Read OpenAI CLIP checkpoints and convert their names to ``transformers``'.

OpenAI's ``clip`` stores a ViT CLIP as ``visual.*`` (vision) plus top-level
text modules (``token_embedding``, ``positional_embedding``,
``transformer.resblocks.{i}``, ``ln_final``, ``text_projection``), with fused
``in_proj`` attention weights and ``x @ proj`` projections. The towers of
``hbi`` are built on ``transformers``' CLIP modules (``CLIPTextModel``,
``CLIPVisionModel``, ``CLIPEncoderLayer``), so foreign checkpoints are
converted at load time (timm's ``checkpoint_filter_fn`` idea) instead of by an
offline script. Conversion is a pure renaming / splitting / transposing: no
value changes, so converted towers reproduce OpenAI's numbers.
"""

import re
import warnings
import zipfile
from typing import Dict, Iterable, List, Optional, Sequence

import torch
from torch import Tensor, nn

from hbi.utils.pretrained_files import check_pretrained_file

StateDict = Dict[str, Tensor]

# Keys OpenAI's TorchScript archives carry besides the weights; ``clip``'s
# ``build_model`` drops them too.
_OPENAI_META_KEYS = ('input_resolution', 'context_length', 'vocab_size')

# OpenAI residual-block suffix -> ``CLIPEncoderLayer`` suffix (1:1 renames).
_RESBLOCK_RENAMES = {
    'attn.out_proj.weight': 'self_attn.out_proj.weight',
    'attn.out_proj.bias': 'self_attn.out_proj.bias',
    'ln_1.weight': 'layer_norm1.weight',
    'ln_1.bias': 'layer_norm1.bias',
    'ln_2.weight': 'layer_norm2.weight',
    'ln_2.bias': 'layer_norm2.bias',
    'mlp.c_fc.weight': 'mlp.fc1.weight',
    'mlp.c_fc.bias': 'mlp.fc1.bias',
    'mlp.c_proj.weight': 'mlp.fc2.weight',
    'mlp.c_proj.bias': 'mlp.fc2.bias',
}
_FUSED_IN_PROJ = {'attn.in_proj_weight': 'weight', 'attn.in_proj_bias': 'bias'}

_TEXT_RENAMES = {
    'token_embedding.weight': 'text_model.embeddings.token_embedding.weight',
    'positional_embedding': 'text_model.embeddings.position_embedding.weight',
    'ln_final.weight': 'text_model.final_layer_norm.weight',
    'ln_final.bias': 'text_model.final_layer_norm.bias',
}
_VISION_RENAMES = {
    'visual.conv1.weight': 'vision_model.embeddings.patch_embedding.weight',
    'visual.class_embedding': 'vision_model.embeddings.class_embedding',
    'visual.positional_embedding': (
        'vision_model.embeddings.position_embedding.weight'
    ),
    'visual.ln_pre.weight': 'vision_model.pre_layrnorm.weight',
    'visual.ln_pre.bias': 'vision_model.pre_layrnorm.bias',
    'visual.ln_post.weight': 'vision_model.post_layernorm.weight',
    'visual.ln_post.bias': 'vision_model.post_layernorm.bias',
}
# ``x @ proj`` in OpenAI == ``Linear(weight=proj.T)``.
_TRANSPOSED = {
    'text_projection': 'text_projection.weight',
    'visual.proj': 'visual_projection.weight',
}
_CLIP_MARKERS = ('visual.conv1.weight', 'token_embedding.weight')


def _is_torchscript_archive(path: str) -> bool:
    """TorchScript zips hold ``<root>/code/`` and ``constants.pkl``."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(
            name.endswith('/constants.pkl') or '/code/' in name
            for name in archive.namelist()
        )


def _strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    if state_dict and all(k.startswith(prefix) for k in state_dict):
        return {k[len(prefix) :]: v for k, v in state_dict.items()}
    return state_dict


def read_state_dict(path: str) -> StateDict:
    """Read a checkpoint file into a flat ``{name: tensor}`` dict.

    Accepts an OpenAI TorchScript archive (read with ``torch.jit.load``) or a
    ``torch.save``-d dict, possibly nested under ``'state_dict'`` or
    ``'model'`` and possibly with every key prefixed by ``'module.'``
    (DataParallel / DDP). Nothing is downloaded.

    Args:
        path (str): Local checkpoint file.

    Returns:
        dict[str, Tensor]: The tensors of the checkpoint.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file holds no dict of tensors.
    """
    try:
        is_jit = _is_torchscript_archive(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'checkpoint file not found: {path}') from None
    if is_jit:
        # OpenAI released TorchScript archives; torch.jit is deprecated but
        # still the only reader of that format.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            state_dict = torch.jit.load(path, map_location='cpu').state_dict()
    else:
        state_dict = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(state_dict, dict) and isinstance(
            state_dict.get(key), dict
        ):
            state_dict = state_dict[key]
            break
    if not isinstance(state_dict, dict):
        raise ValueError(
            f'{path}: expected a state dict, got {type(state_dict).__name__}'
        )
    state_dict = {
        k: v for k, v in state_dict.items() if isinstance(v, torch.Tensor)
    }
    return _strip_prefix(state_dict, 'module.')


#: Where a missing OpenAI CLIP file comes from (named in the error).
OPENAI_CLIP_SOURCE = (
    "OpenAI's released weights, e.g. ViT-B-32.pt / ViT-B-16.pt (the URLs "
    'are in _MODELS of clip/clip.py at github.com/openai/CLIP); hbi '
    'downloads nothing. Put the file at the configured path (the configs '
    'expect checkpoints/clip/ViT-B-32.pt under the directory you run from).'
)
#: What :func:`read_state_dict` / :func:`load_openai_clip_state_dict` read.
OPENAI_CLIP_FORMATS = (
    "OpenAI's TorchScript archive as released, or a torch.save'd state dict "
    "in OpenAI's names (possibly under 'state_dict' or 'model', with "
    "'module.' or 'clip.' prefixes, e.g. the released HBI pytorch_model.bin)"
)


def check_openai_clip_file(path: str, key: str) -> None:
    """A ``FileNotFoundError`` saying where to get the CLIP file and which
    formats are read, if ``path`` (config key ``key``) is missing."""
    check_pretrained_file(
        path,
        'OpenAI CLIP weights',
        key,
        OPENAI_CLIP_SOURCE,
        OPENAI_CLIP_FORMATS,
    )


def load_openai_clip_state_dict(path: str) -> StateDict:
    """Read the OpenAI-named CLIP weights of a checkpoint.

    Besides OpenAI's own files this reads checkpoints that hold CLIP under
    ``'clip.'`` (the released HBI / CLIP4Clip checkpoints): only the
    ``clip.*`` entries are kept, with the prefix removed.

    Args:
        path (str): OpenAI TorchScript archive or a plain state dict file.

    Returns:
        dict[str, Tensor]: OpenAI CLIP names (``visual.conv1.weight``, ...).

    Raises:
        ValueError: The file does not hold an OpenAI CLIP layout.
    """
    state_dict = read_state_dict(path)
    if any(k.startswith('clip.') for k in state_dict):
        state_dict = {
            k[len('clip.') :]: v
            for k, v in state_dict.items()
            if k.startswith('clip.')
        }
    if not any(marker in state_dict for marker in _CLIP_MARKERS):
        raise ValueError(
            f'{path} is not an OpenAI CLIP checkpoint: none of '
            f'{list(_CLIP_MARKERS)} found (first keys: '
            f'{sorted(state_dict)[:5]})'
        )
    return {k: v for k, v in state_dict.items() if k not in _OPENAI_META_KEYS}


def convert_openai_resblock(
    state_dict: StateDict, src_prefix: str, dst_prefix: str
) -> StateDict:
    """Convert one OpenAI ``ResidualAttentionBlock`` to a ``CLIPEncoderLayer``.

    The fused ``attn.in_proj_weight/bias`` is split into q/k/v (in that
    order, as ``nn.MultiheadAttention`` packs it); ``ln_1/ln_2`` become
    ``layer_norm1/2`` and ``mlp.c_fc/c_proj`` become ``mlp.fc1/fc2``.
    Unknown suffixes are kept under ``dst_prefix`` so that loading reports
    them as unexpected.

    Args:
        state_dict (dict): Any state dict; only keys under ``src_prefix``
            are read.
        src_prefix (str): E.g. ``'transformerClip.resblocks.0.'``.
        dst_prefix (str): E.g. ``'layers.0.'``.

    Returns:
        dict[str, Tensor]: The block's weights under ``dst_prefix``.
    """
    out = {}
    for key, value in state_dict.items():
        if not key.startswith(src_prefix):
            continue
        suffix = key[len(src_prefix) :]
        if suffix in _FUSED_IN_PROJ:
            kind = _FUSED_IN_PROJ[suffix]
            for name, part in zip('qkv', value.chunk(3, dim=0)):
                out[f'{dst_prefix}self_attn.{name}_proj.{kind}'] = part
        else:
            out[dst_prefix + _RESBLOCK_RENAMES.get(suffix, suffix)] = value
    return out


def _block_indices(keys: Iterable[str], root: str) -> List[int]:
    pattern = re.compile(re.escape(root) + r'(\d+)\.')
    return sorted({int(m.group(1)) for k in keys if (m := pattern.match(k))})


def convert_openai_resblocks(
    state_dict: StateDict, src_root: str, dst_root: str
) -> StateDict:
    """Convert every block ``{src_root}{i}.*`` to ``{dst_root}{i}.*`` with
    :func:`convert_openai_resblock`.

    Args:
        state_dict (dict): Any state dict.
        src_root (str): E.g. ``'transformerClip.resblocks.'``.
        dst_root (str): E.g. ``'layers.'``.

    Returns:
        dict[str, Tensor]: All converted blocks.
    """
    out = {}
    for i in _block_indices(state_dict, src_root):
        out.update(
            convert_openai_resblock(
                state_dict, f'{src_root}{i}.', f'{dst_root}{i}.'
            )
        )
    return out


def _convert_part(
    state_dict: StateDict,
    renames: Dict[str, str],
    block_root: str,
    dst_block_root: str,
) -> StateDict:
    """Renamed entries, transposed projections and all blocks of one tower;
    any other key is kept as is so that loading reports it."""
    out = convert_openai_resblocks(state_dict, block_root, dst_block_root)
    for key, value in state_dict.items():
        if key.startswith(block_root):
            continue
        if key in renames:
            out[renames[key]] = value
        elif key in _TRANSPOSED:
            out[_TRANSPOSED[key]] = value.t() if value.dim() == 2 else value
        else:
            out[key] = value
    return out


def convert_openai_clip(state_dict: StateDict) -> dict:
    """Split an OpenAI CLIP state dict into tower state dicts.

    Args:
        state_dict (dict): OpenAI names, e.g. from
            :func:`load_openai_clip_state_dict`.

    Returns:
        dict: ``text`` and ``vision`` (state dicts named like
        :class:`CLIPTextTower` / :class:`CLIPVisionTower`) and
        ``logit_scale`` (Tensor or None).
    """
    visual = {k: v for k, v in state_dict.items() if k.startswith('visual.')}
    text = {
        k: v
        for k, v in state_dict.items()
        if not k.startswith('visual.') and k != 'logit_scale'
    }
    return dict(
        text=_convert_part(
            text,
            _TEXT_RENAMES,
            'transformer.resblocks.',
            'text_model.encoder.layers.',
        ),
        vision=_convert_part(
            visual,
            _VISION_RENAMES,
            'visual.transformer.resblocks.',
            'vision_model.encoder.layers.',
        ),
        logit_scale=state_dict.get('logit_scale'),
    )


def load_state_dict_checked(
    module: nn.Module,
    state_dict: StateDict,
    source: Optional[str] = None,
    allow_missing: Sequence[str] = (),
) -> List[str]:
    """``module.load_state_dict`` that first lists every problem at once.

    Args:
        module (nn.Module): Destination.
        state_dict (dict): Converted weights, named like ``module``'s.
        source (str, optional): File name for the error message.
        allow_missing (Sequence[str]): Name prefixes of the module's entries
            that the file may lack (they keep their initialisation), e.g.
            the decoder of a model initialised from a retriever.
            Defaults to ().

    Returns:
        list[str]: The allowed entries the file lacked.

    Raises:
        ValueError: Listing missing keys, unexpected keys and shape
            mismatches (with both shapes), naming ``source``.
    """
    expected = module.state_dict()
    missing = [k for k in expected if k not in state_dict]
    prefixes = tuple(allow_missing)
    kept = [k for k in missing if prefixes and k.startswith(prefixes)]
    missing = [k for k in missing if k not in kept]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(expected[k].shape)}'
        for k, v in state_dict.items()
        if k in expected and v.shape != expected[k].shape
    ]
    if missing or unexpected or mismatched:
        lines = [
            f'cannot load {source or "state dict"} into '
            f'{type(module).__name__}:'
        ]
        if mismatched:
            lines.append(
                f'  shape mismatches ({len(mismatched)}): '
                + '; '.join(mismatched)
            )
        if missing:
            lines.append(
                f'  missing keys ({len(missing)}): '
                + ', '.join(f'{k} {tuple(expected[k].shape)}' for k in missing)
            )
        if unexpected:
            lines.append(
                f'  unexpected keys ({len(unexpected)}): '
                + ', '.join(
                    f'{k} {tuple(state_dict[k].shape)}' for k in unexpected
                )
            )
        raise ValueError('\n'.join(lines))
    module.load_state_dict(state_dict, strict=not kept)
    return kept


def load_openai_clip_into(tower: nn.Module, path: str, part: str) -> None:
    """Load the ``part`` (``'text'`` or ``'vision'``) of an OpenAI CLIP file
    into a tower, checking every name and shape (see
    :func:`load_state_dict_checked`)."""
    converted = convert_openai_clip(load_openai_clip_state_dict(path))[part]
    load_state_dict_checked(tower, converted, source=path)
