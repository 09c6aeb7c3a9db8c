"""Transformer over the frames ("seqTransf", HBI A3)."""

from typing import Dict, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn
from transformers import CLIPTextConfig
from transformers.models.clip.modeling_clip import CLIPEncoderLayer

from hbi.registry import MODELS

from ..backbones.clip_archs import clip_encoder_config_kwargs
from ..backbones.openai_clip_conversion import (
    convert_openai_resblocks,
    load_state_dict_checked,
    read_state_dict,
)

#: Additive attention logit of padded frames in the released code.
PADDED_FRAME_LOGIT = -1e6


@MODELS.register_module()
class TemporalTransformer(BaseModule):
    """CLIP4Clip's / HBI's ``seqTransf`` temporal transformer.

    ``x = frames + E_pos[:T]``; ``num_layers`` residual attention blocks of
    CLIP's form (``transformers``' ``CLIPEncoderLayer``: pre-LN, MLP 4x,
    QuickGELU) with an additive key mask of -1e6 on padded frames;
    ``output = x + frames``.

    Released weights (``frame_position_embeddings.weight``,
    ``transformerClip.resblocks.{i}.*``) load with :meth:`load_released`;
    :meth:`init_from_text_tower` is the CLIP initialisation.

    Args:
        width (int): Frame feature width D. Defaults to 512.
        num_layers (int): Residual attention blocks. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 8.
        max_frames (int): Rows of ``frame_position_embeddings``.
            Defaults to 77 (CLIP's context length, so that E_pos can be
            copied from the text tower).
        attn_implementation (str): ``'sdpa'`` or ``'eager'``.
            Defaults to ``'sdpa'``.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - frames: (B, T, D), T <= max_frames; frame_mask: (B, T), 1 marks a
          real frame.
        - output: (B, T, D); real positions do not depend on padded frames.
    """

    def __init__(
        self,
        width: int = 512,
        num_layers: int = 4,
        num_heads: int = 8,
        max_frames: int = 77,
        attn_implementation: str = 'sdpa',
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        config = CLIPTextConfig(
            max_position_embeddings=max_frames,
            bos_token_id=None,
            eos_token_id=None,
            pad_token_id=None,
            **clip_encoder_config_kwargs(
                width, num_layers, num_heads, attn_implementation
            ),
        )
        self.width = width
        self.frame_position_embeddings = nn.Embedding(max_frames, width)
        self.layers = nn.ModuleList(
            [CLIPEncoderLayer(config) for _ in range(num_layers)]
        )

    def forward(self, frames: Tensor, frame_mask: Tensor) -> Tensor:
        """Run the blocks; see the class docstring for shapes."""
        num_frames = frames.shape[1]
        if num_frames > self.frame_position_embeddings.num_embeddings:
            raise ValueError(
                f'frames: {num_frames} frames exceed max_frames='
                f'{self.frame_position_embeddings.num_embeddings}'
            )
        if frame_mask.shape != frames.shape[:2]:
            raise ValueError(
                f'frame_mask: shape {tuple(frame_mask.shape)} '
                f'does not match frames {tuple(frames.shape)}'
            )
        x = frames + self.frame_position_embeddings.weight[:num_frames]
        # (B, 1, 1, T): the same additive key mask for every head and query.
        key_bias = (1.0 - frame_mask.to(x.dtype))[:, None, None, :]
        key_bias = key_bias * PADDED_FRAME_LOGIT
        for layer in self.layers:
            x = layer(x, key_bias)
        return x + frames

    @torch.no_grad()
    def init_from_text_tower(self, text_tower: nn.Module) -> None:
        """Copy E_pos from the text positional embedding and block i from
        text block i, for i < min(num_layers, text layers) (as CLIP4Clip).

        Args:
            text_tower (nn.Module): A :class:`CLIPTextTower` (anything with
                ``position_embedding`` and ``layers``).

        Raises:
            ValueError: Widths or context lengths differ.
        """
        pos = text_tower.position_embedding
        if pos.shape != self.frame_position_embeddings.weight.shape:
            raise ValueError(
                f'text_tower: positional embedding {tuple(pos.shape)} does '
                f'not match frame_position_embeddings '
                f'{tuple(self.frame_position_embeddings.weight.shape)}'
            )
        self.frame_position_embeddings.weight.copy_(pos)
        text_layers = text_tower.layers
        for i in range(min(len(self.layers), len(text_layers))):
            load_state_dict_checked(
                self.layers[i],
                text_layers[i].state_dict(),
                source=f'text_tower block {i}',
            )
        if len(text_layers) < len(self.layers):
            print_log(
                f'TemporalTransformer: blocks {len(text_layers)}..'
                f'{len(self.layers) - 1} keep their random initialisation '
                f'(the text tower has {len(text_layers)} blocks)',
                logger='current',
            )

    def load_released(
        self, checkpoint: Union[str, Dict[str, Tensor]], prefix: str = ''
    ) -> None:
        """Load ``frame_position_embeddings.weight`` and
        ``transformerClip.resblocks.{i}.*`` (OpenAI block names) from a
        released HBI / CLIP4Clip checkpoint; other entries are ignored.

        Args:
            checkpoint (str | dict): A checkpoint file or its state dict.
            prefix (str): Prefix of those names in the state dict.
                Defaults to ''.

        Raises:
            ValueError: The checkpoint has none of those weights, or names /
                shapes do not match (all listed).
        """
        source = checkpoint if isinstance(checkpoint, str) else 'state dict'
        state_dict = (
            read_state_dict(checkpoint)
            if isinstance(checkpoint, str)
            else checkpoint
        )
        converted = convert_openai_resblocks(
            state_dict, f'{prefix}transformerClip.resblocks.', 'layers.'
        )
        pos_key = f'{prefix}frame_position_embeddings.weight'
        if pos_key in state_dict:
            converted['frame_position_embeddings.weight'] = state_dict[pos_key]
        if not converted:
            raise ValueError(
                f'{source}: no {pos_key!r} or {prefix}transformerClip.* '
                f'weights, not a released seqTransf checkpoint'
            )
        load_state_dict_checked(self, converted, source=source)
