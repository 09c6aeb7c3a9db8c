"""A cross-modal fusion encoder over one (text, video) pair (TACo, Clover)."""

from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from hbi.registry import MODELS


@MODELS.register_module()
class FusionEncoder(BaseModule):
    """A few transformer layers over ``[CLS; words; video tokens]`` of each
    (text, video) pair, with a match head on the ``[CLS]`` output.

    The word and video tokens come from the retriever's towers (projected
    to ``embed_dim``); a learned type embedding marks each modality, and
    padded tokens are hidden from attention. The layers are PyTorch's
    pre-LayerNorm ``TransformerEncoderLayer`` (GELU, MLP 4x). TACo's
    cascade scores pairs with ``score``; Clover's tri-modal alignment
    uses the normalised ``[CLS]`` vector (``cls``) as the fused pair's
    embedding and builds this module with ``match_head=False`` (an unused
    head would leave DDP with parameters without gradient).

    Args:
        embed_dim (int): Width of the input tokens and of the layers.
            Defaults to 512.
        num_layers (int): Transformer layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 8.
        match_head (bool): Build the match head (``score``). Defaults to
            True.
        dropout (float): Dropout of the layers. Defaults to 0.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - text_tokens: (N, Lt, D); text_mask: (N, Lt), 1 on real tokens.
        - video_tokens: (N, Lv, D); video_mask: (N, Lv).
        - output: ``cls`` (N, D) L2-normalised; ``score`` (N,) with the
          match head.
    """

    def __init__(
        self,
        embed_dim: int = 512,
        num_layers: int = 2,
        num_heads: int = 8,
        match_head: bool = True,
        dropout: float = 0.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dim = embed_dim
        self.cls_token = nn.Parameter(torch.zeros(embed_dim))
        self.type_embedding = nn.Parameter(torch.zeros(2, embed_dim))
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.type_embedding, std=0.02)
        layer = nn.TransformerEncoderLayer(
            embed_dim,
            num_heads,
            dim_feedforward=4 * embed_dim,
            dropout=dropout,
            activation='gelu',
            batch_first=True,
            norm_first=True,
        )
        self.layers = nn.TransformerEncoder(
            layer, num_layers, enable_nested_tensor=False
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.match_head = nn.Linear(embed_dim, 1) if match_head else None

    def forward(
        self,
        text_tokens: Tensor,
        text_mask: Tensor,
        video_tokens: Tensor,
        video_mask: Tensor,
    ) -> Dict[str, Tensor]:
        """Fuse each pair; see the class docstring for shapes."""
        num = text_tokens.shape[0]
        if video_tokens.shape[0] != num:
            raise ValueError(
                f'FusionEncoder: {num} texts but {video_tokens.shape[0]} '
                'videos; give one video per text'
            )
        cls = self.cls_token.expand(num, 1, -1).to(text_tokens.dtype)
        tokens = torch.cat(
            [
                cls,
                text_tokens + self.type_embedding[0],
                video_tokens.to(text_tokens.dtype) + self.type_embedding[1],
            ],
            dim=1,
        )
        real = torch.cat(
            [
                text_mask.new_ones(num, 1).bool(),
                text_mask.bool(),
                video_mask.bool(),
            ],
            dim=1,
        )
        hidden = self.norm(self.layers(tokens, src_key_padding_mask=~real))
        out = dict(cls=nn.functional.normalize(hidden[:, 0], dim=-1))
        if self.match_head is not None:
            out['score'] = self.match_head(hidden[:, 0]).squeeze(-1)
        return out
