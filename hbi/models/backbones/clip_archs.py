"""Architecture presets of the CLIP towers and the CLIP pixel statistics.

A preset is a plain dict (so that configs can name or override it)::

    dict(embed_dim=512,
         vision=dict(image_size=224, patch_size=32, width=768, layers=12,
                     heads=12),
         text=dict(vocab_size=49408, context_length=77, width=512,
                   layers=12, heads=8))
"""

import copy
from typing import Dict, Union

from torch import nn

#: CLIP's per-channel RGB mean / std of pixels in [0, 1] (OpenAI ``clip``).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

_VIT_B_TEXT = dict(
    vocab_size=49408, context_length=77, width=512, layers=12, heads=8
)

CLIP_ARCHS: Dict[str, dict] = {
    'ViT-B/32': dict(
        embed_dim=512,
        vision=dict(
            image_size=224, patch_size=32, width=768, layers=12, heads=12
        ),
        text=dict(_VIT_B_TEXT),
    ),
    'ViT-B/16': dict(
        embed_dim=512,
        vision=dict(
            image_size=224, patch_size=16, width=768, layers=12, heads=12
        ),
        text=dict(_VIT_B_TEXT),
    ),
    # For the synthetic 32x32 world: small enough to train on a CPU.
    'tiny': dict(
        embed_dim=64,
        vision=dict(image_size=32, patch_size=8, width=64, layers=2, heads=2),
        text=dict(
            vocab_size=49408, context_length=77, width=64, layers=2, heads=2
        ),
    ),
}

_TOP_KEYS = ('embed_dim', 'vision', 'text')
_SECTION_KEYS = {
    'vision': ('image_size', 'patch_size', 'width', 'layers', 'heads'),
    'text': ('vocab_size', 'context_length', 'width', 'layers', 'heads'),
}


def resolve_clip_arch(arch: Union[str, dict]) -> dict:
    """Turn a preset name or a dict into a complete, validated arch dict.

    Args:
        arch (str | dict): A key of :data:`CLIP_ARCHS`, or a dict. A dict may
            name a preset with ``base='tiny'`` and override any field, e.g.
            ``dict(base='tiny', embed_dim=64, text=dict(layers=2))``; without
            ``base`` it must give every field.

    Returns:
        dict: A fresh dict with ``embed_dim``, ``vision`` and ``text``.

    Raises:
        ValueError: An unknown preset name, unknown keys (all named), missing
            fields, or a width not divisible by its head count.
    """
    if isinstance(arch, str):
        if arch not in CLIP_ARCHS:
            raise ValueError(
                f'arch: unknown CLIP preset {arch!r}; '
                f'choose one of {sorted(CLIP_ARCHS)}'
            )
        return copy.deepcopy(CLIP_ARCHS[arch])
    if not isinstance(arch, dict):
        raise ValueError(
            f'arch: expected a preset name or a dict, got {type(arch)}'
        )

    overrides = dict(arch)
    base = overrides.pop('base', None)
    unknown = [f'{k}' for k in overrides if k not in _TOP_KEYS]
    for section, keys in _SECTION_KEYS.items():
        sub = overrides.get(section, {})
        if not isinstance(sub, dict):
            raise ValueError(f'arch: {section!r} must be a dict, got {sub!r}')
        unknown += [f'{section}.{k}' for k in sub if k not in keys]
    if unknown:
        raise ValueError(
            f'arch: unknown keys {unknown}; allowed: '
            f'{list(_TOP_KEYS)} and {_SECTION_KEYS}'
        )

    resolved = (
        resolve_clip_arch(base)
        if base is not None
        else dict(vision={}, text={})
    )
    if 'embed_dim' in overrides:
        resolved['embed_dim'] = overrides['embed_dim']
    for section in _SECTION_KEYS:
        resolved[section].update(overrides.get(section, {}))

    missing = [k for k in ('embed_dim',) if k not in resolved]
    for section, keys in _SECTION_KEYS.items():
        missing += [
            f'{section}.{k}' for k in keys if k not in resolved[section]
        ]
    if missing:
        raise ValueError(
            f'arch: missing fields {missing} (give them or name '
            f'a preset with base=...)'
        )
    for section in _SECTION_KEYS:
        cfg = resolved[section]
        if cfg['width'] % cfg['heads']:
            raise ValueError(
                f'arch: {section}.width={cfg["width"]} is not '
                f'divisible by {section}.heads={cfg["heads"]}'
            )
    return resolved


def clip_encoder_config_kwargs(
    width: int, layers: int, heads: int, attn_implementation: str
) -> dict:
    """``transformers`` CLIP config fields of OpenAI CLIP's residual blocks.

    Shared by both towers and the temporal transformer: MLP 4x, QuickGELU,
    LayerNorm eps 1e-5 (``torch``'s default, which OpenAI CLIP uses), no
    dropout.

    Args:
        width (int): Hidden width.
        layers (int): Number of residual attention blocks.
        heads (int): Attention heads.
        attn_implementation (str): ``'sdpa'`` or ``'eager'``.

    Returns:
        dict: Keyword arguments for ``CLIPTextConfig`` / ``CLIPVisionConfig``.
    """
    if attn_implementation not in ('sdpa', 'eager'):
        raise ValueError(
            f'attn_implementation must be "sdpa" or "eager", '
            f'got {attn_implementation!r}'
        )
    return dict(
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        hidden_act='quick_gelu',
        layer_norm_eps=1e-5,
        attention_dropout=0.0,
        attn_implementation=attn_implementation,
    )


def clip_projection(width: int, embed_dim: int):
    """A bias-free projection initialised like OpenAI CLIP's ``proj`` /
    ``text_projection`` (normal, std ``width ** -0.5``)."""
    projection = nn.Linear(width, embed_dim, bias=False)
    nn.init.normal_(projection.weight, std=width**-0.5)
    return projection


def enable_activation_checkpointing(model) -> None:
    """Recompute a transformers model's blocks in backward (transformers 5
    renamed ``gradient_checkpointing_enable`` to this)."""
    model.activation_checkpointing_enable(dict(use_reentrant=False))
