from .clip_archs import (
    CLIP_ARCHS,
    CLIP_MEAN,
    CLIP_STD,
    clip_encoder_config_kwargs,
    resolve_clip_arch,
)
from .clip_text_tower import CLIPTextTower
from .clip_vision_tower import CLIPVisionTower
from .openai_clip_conversion import (
    convert_openai_clip,
    convert_openai_resblock,
    convert_openai_resblocks,
    load_openai_clip_into,
    load_openai_clip_state_dict,
    load_state_dict_checked,
    read_state_dict,
)

__all__ = [
    'CLIP_ARCHS',
    'CLIP_MEAN',
    'CLIP_STD',
    'resolve_clip_arch',
    'clip_encoder_config_kwargs',
    'CLIPTextTower',
    'CLIPVisionTower',
    'convert_openai_clip',
    'convert_openai_resblock',
    'convert_openai_resblocks',
    'load_openai_clip_into',
    'load_openai_clip_state_dict',
    'load_state_dict_checked',
    'read_state_dict',
]
