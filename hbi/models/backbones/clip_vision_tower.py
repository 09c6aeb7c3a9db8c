"""CLIP image encoder giving one feature per frame (HBI A2)."""

from typing import Optional, Tuple, Union

import torch
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

    :meth:`forward` can also drop patch tokens before the transformer
    (``patch_mask``, Clover's masked video; dropped as in FLIP, so a masked
    image costs less, rather than replaced: CLIP has no mask embedding) and
    return the projected patch tokens (``return_patch_tokens``). Without
    either, it is the plain pooled path.

    Shape:
        - pixels: (N, 3, image_size, image_size), normalised with
          :data:`CLIP_MEAN` / :data:`CLIP_STD`.
        - patch_mask: (N, P) bool, True on a dropped patch (P = grid
          cells, row-major), the same number in every row.
        - output: (N, embed_dim); with ``return_patch_tokens`` also
          (N, P_kept, embed_dim).
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

    @property
    def num_patches(self) -> int:
        """Cells of the patch grid (P)."""
        vision = self.arch['vision']
        return (vision['image_size'] // vision['patch_size']) ** 2

    def forward(
        self,
        pixels: Tensor,
        patch_mask: Optional[Tensor] = None,
        return_patch_tokens: bool = False,
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Encode images; see the class docstring for shapes."""
        if patch_mask is None and not return_patch_tokens:
            pooled = self.vision_model(pixel_values=pixels).pooler_output
            return self.visual_projection(pooled)
        model = self.vision_model
        tokens = model.embeddings(pixel_values=pixels)  # [N, 1 + P, W]
        if patch_mask is not None:
            tokens = self._drop_patches(tokens, patch_mask)
        hidden = model.encoder(
            inputs_embeds=model.pre_layrnorm(tokens)
        ).last_hidden_state
        hidden = model.post_layernorm(hidden)
        pooled = self.visual_projection(hidden[:, 0])
        if not return_patch_tokens:
            return pooled
        return pooled, self.visual_projection(hidden[:, 1:])

    def _drop_patches(self, tokens: Tensor, patch_mask: Tensor) -> Tensor:
        """Keep the class token and the patches not in ``patch_mask``."""
        num, length = tokens.shape[0], tokens.shape[1] - 1
        if tuple(patch_mask.shape) != (num, length):
            raise ValueError(
                f'patch_mask must be (N, P) = {(num, length)}, got '
                f'{tuple(patch_mask.shape)}'
            )
        keep = ~patch_mask.bool()
        counts = keep.sum(1)
        if bool((counts != counts[0]).any()):
            raise ValueError(
                'patch_mask must drop the same number of patches in every '
                f'image, got kept counts {counts.tolist()}'
            )
        # Stable order of the kept patches: row-major, as in the grid.
        index = keep.long().argsort(dim=1, descending=True, stable=True)
        index = index[:, : int(counts[0])] + 1
        cls = torch.zeros(num, 1, dtype=index.dtype, device=index.device)
        index = torch.cat([cls, index], dim=1)
        return tokens.gather(
            1, index.unsqueeze(-1).expand(-1, -1, tokens.shape[-1])
        )
