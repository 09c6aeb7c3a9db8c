"""One OpenAI CLIP file for both towers and the temperature (HBI A2)."""

from typing import Optional, Tuple

from torch import Tensor

from hbi.models.backbones.openai_clip_conversion import (
    load_openai_clip_state_dict,
)


def resolve_clip_file(
    clip_file: Optional[str], text_encoder: dict, video_encoder: dict
) -> Tuple[Optional[str], dict, dict]:
    """The CLIP file of a retriever, given to both tower configs.

    The towers and ``logit_scale`` come from one file: ``clip_file`` (the
    retriever's, one config key to override) or the towers' own
    ``pretrained``, which must then name the same file for both.

    Args:
        clip_file (str, optional): The retriever's ``clip_file``.
        text_encoder (dict): Text tower config.
        video_encoder (dict): Vision tower config.

    Returns:
        tuple: The file and copies of the two tower configs with
        ``pretrained`` set to it, or None and the configs as given.

    Raises:
        ValueError: A tower's ``pretrained`` differs from ``clip_file``, one
            tower is pretrained and the other not, or the towers name
            different files.
    """
    towers = {'text_encoder': text_encoder, 'video_encoder': video_encoder}
    named = {k: cfg.get('pretrained') for k, cfg in towers.items()}
    if clip_file is not None:
        other = {k: v for k, v in named.items() if v not in (None, clip_file)}
        if other:
            raise ValueError(
                f'VideoTextRetriever: clip_file={clip_file!r} but '
                + ', '.join(f'{k}.pretrained={v!r}' for k, v in other.items())
                + '; give the CLIP file once, as clip_file'
            )
    elif len(set(named.values())) > 1:
        raise ValueError(
            'VideoTextRetriever: the towers and logit_scale come from one '
            'CLIP file, got '
            + ' and '.join(f'{k}.pretrained={v!r}' for k, v in named.items())
            + ' (one tower pretrained and the other not, or two files); '
            'set clip_file instead'
        )
    else:
        clip_file = named['text_encoder']
    if clip_file is None:
        return None, text_encoder, video_encoder
    return (
        clip_file,
        dict(text_encoder, pretrained=clip_file),
        dict(video_encoder, pretrained=clip_file),
    )


def read_logit_scale(path: str) -> Tensor:
    """CLIP's ``logit_scale`` from the OpenAI file ``path``.

    Raises:
        ValueError: The file has no ``logit_scale``.
    """
    state = load_openai_clip_state_dict(path)
    if 'logit_scale' not in state:
        raise ValueError(
            f'{path} holds CLIP towers but no logit_scale: the temperature '
            'must come from the same file as the towers'
        )
    return state['logit_scale']
