"""CLIP image encoder giving one feature per frame (HBI A2)."""

from torch import Tensor
from transformers import CLIPVisionConfig, CLIPVisionModel

from hbi.registry import MODELS

from .clip_archs import clip_encoder_config_kwargs
from .clip_tower_base import BaseCLIPTower


@MODELS.register_module()
class CLIPVisionTower(BaseCLIPTower):
    """OpenAI CLIP's vision transformer: class token, ``ln_post``, ``proj``.

    Built on ``transformers.CLIPVisionModel`` (QuickGELU, LayerNorm eps 1e-5)
    plus a bias-free ``visual_projection``. Arguments and pretrained loading:
    :class:`BaseCLIPTower`.

    Shape:
        - pixels: (N, 3, image_size, image_size), normalised with
          :data:`CLIP_MEAN` / :data:`CLIP_STD`.
        - output: (N, embed_dim)
    """

    part = 'vision'
    model_attr, projection_attr = 'vision_model', 'visual_projection'

    def build_model(
        self, part_arch: dict, attn_implementation: str
    ) -> CLIPVisionModel:
        return CLIPVisionModel(
            CLIPVisionConfig(
                image_size=part_arch['image_size'],
                patch_size=part_arch['patch_size'],
                num_channels=3,
                projection_dim=self.arch['embed_dim'],
                **clip_encoder_config_kwargs(
                    part_arch['width'],
                    part_arch['layers'],
                    part_arch['heads'],
                    attn_implementation,
                ),
            )
        )

    def forward(self, pixels: Tensor) -> Tensor:
        """Encode images; see the class docstring for shapes."""
        pooled = self.vision_model(pixel_values=pixels).pooler_output
        return self.visual_projection(pooled)
