"""CLIP image encoder giving one feature per frame (HBI A2)."""
from typing import Optional, Union

from mmengine.model import BaseModule
from torch import Tensor
from transformers import CLIPVisionConfig, CLIPVisionModel

from hbi.registry import MODELS
from .clip_archs import (clip_encoder_config_kwargs, clip_projection,
                         enable_activation_checkpointing, resolve_clip_arch)
from .openai_clip_conversion import load_openai_clip_into


@MODELS.register_module()
class CLIPVisionTower(BaseModule):
    """OpenAI CLIP's vision transformer: class token, ``ln_post``, ``proj``.

    Built on ``transformers.CLIPVisionModel`` (QuickGELU, LayerNorm eps 1e-5)
    plus a bias-free ``visual_projection``. Pretrained weights are loaded in
    ``__init__`` (see :class:`CLIPTextTower` for why).

    Args:
        arch (str | dict): A :data:`CLIP_ARCHS` preset or an arch dict (see
            :func:`resolve_clip_arch`). Defaults to ``'ViT-B/32'``.
        pretrained (str, optional): Local OpenAI CLIP file (TorchScript or
            state dict, possibly a checkpoint holding CLIP under ``clip.``).
            Defaults to None (random initialisation).
        attn_implementation (str): ``'sdpa'`` or ``'eager'``.
            Defaults to ``'sdpa'``.
        gradient_checkpointing (bool): Recompute each block in backward.
            Defaults to False.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - pixels: (N, 3, image_size, image_size), normalised with
          :data:`CLIP_MEAN` / :data:`CLIP_STD`.
        - output: (N, embed_dim)
    """

    def __init__(self,
                 arch: Union[str, dict] = 'ViT-B/32',
                 pretrained: Optional[str] = None,
                 attn_implementation: str = 'sdpa',
                 gradient_checkpointing: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = resolve_clip_arch(arch)
        vision = self.arch['vision']
        config = CLIPVisionConfig(
            image_size=vision['image_size'],
            patch_size=vision['patch_size'],
            num_channels=3,
            projection_dim=self.arch['embed_dim'],
            **clip_encoder_config_kwargs(vision['width'], vision['layers'],
                                         vision['heads'], attn_implementation))
        self.vision_model = CLIPVisionModel(config)
        self.visual_projection = clip_projection(vision['width'],
                                                 self.arch['embed_dim'])
        if gradient_checkpointing:
            enable_activation_checkpointing(self.vision_model)
        self.pretrained = pretrained
        if pretrained is not None:
            self.load_openai_clip(pretrained)
            self._is_init = True

    @property
    def embed_dim(self) -> int:
        """Width of the projected frame features."""
        return self.arch['embed_dim']

    @property
    def width(self) -> int:
        """Width of the transformer."""
        return self.arch['vision']['width']

    def load_openai_clip(self, path: str) -> None:
        """Load the vision part of an OpenAI CLIP file (names and shapes
        checked; raises ValueError listing every problem)."""
        load_openai_clip_into(self, path, 'vision')

    def forward(self, pixels: Tensor) -> Tensor:
        """Encode images; see the class docstring for shapes."""
        pooled = self.vision_model(pixel_values=pixels).pooler_output
        return self.visual_projection(pooled)
