"""Plain-torch re-implementation of OpenAI CLIP's ``model.py`` (ViT variant)
and of CLIP4Clip's ``seqTransf`` temporal transformer, for tests only.

Independent of ``hbi`` and of ``transformers``: ``nn.MultiheadAttention``
with fused ``in_proj``, ``x @ proj`` projections, sequence-first layout. The
parameter names are OpenAI's (checked against
``shared/reference/checkpoint_layouts.json`` by the tests).
"""

import warnings
from collections import OrderedDict
from typing import Optional, Sequence

import torch
from torch import Tensor, nn


class QuickGELU(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    """OpenAI CLIP's block. ``attn_mask`` is a fixed (L, L) mask given at
    construction (OpenAI) or a per-call (B*heads, L, L) mask (CLIP4Clip's
    ``transformerClip``)."""

    def __init__(
        self, d_model: int, n_head: int, attn_mask: Optional[Tensor] = None
    ) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ('c_fc', nn.Linear(d_model, d_model * 4)),
                    ('gelu', QuickGELU()),
                    ('c_proj', nn.Linear(d_model * 4, d_model)),
                ]
            )
        )
        self.ln_2 = nn.LayerNorm(d_model)
        self.n_head = n_head
        self.attn_mask = attn_mask  # a plain attribute, as in OpenAI's code

    def forward(self, x: Tensor, attn_mask: Optional[Tensor] = None) -> Tensor:
        if attn_mask is None and self.attn_mask is not None:
            attn_mask = self.attn_mask[: x.shape[0], : x.shape[0]]
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(
        self,
        width: int,
        layers: int,
        heads: int,
        attn_mask: Optional[Tensor] = None,
    ) -> None:
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(
            *[
                ResidualAttentionBlock(width, heads, attn_mask)
                for _ in range(layers)
            ]
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(
        self,
        input_resolution: int,
        patch_size: int,
        width: int,
        layers: int,
        heads: int,
        output_dim: int,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch_size, patch_size, bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(
            scale
            * torch.randn((input_resolution // patch_size) ** 2 + 1, width)
        )
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding + torch.zeros(
            x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device
        )
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    """``forward(image, text)`` returns the frame features (N, E) and the
    projected features of EVERY text token (B, L, E), as CLIP4Clip's
    ``encode_text(..., return_hidden=True)``."""

    def __init__(
        self,
        embed_dim: int,
        image_resolution: int,
        vision_layers: int,
        vision_width: int,
        vision_patch_size: int,
        context_length: int,
        vocab_size: int,
        transformer_width: int,
        transformer_heads: int,
        transformer_layers: int,
        vision_heads: Optional[int] = None,
    ) -> None:
        super().__init__()
        self.context_length = context_length
        self.visual = VisionTransformer(
            image_resolution,
            vision_patch_size,
            vision_width,
            vision_layers,
            vision_heads or vision_width // 64,
            embed_dim,
        )
        self.transformer = Transformer(
            transformer_width,
            transformer_layers,
            transformer_heads,
            self.build_attention_mask(),
        )
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(
            0.01 * torch.randn(context_length, transformer_width)
        )
        self.ln_final = nn.LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(
            transformer_width**-0.5 * torch.randn(transformer_width, embed_dim)
        )
        self.logit_scale = nn.Parameter(torch.tensor(4.6052))

    def build_attention_mask(self) -> Tensor:
        mask = torch.empty(self.context_length, self.context_length)
        return mask.fill_(float('-inf')).triu_(1)

    def encode_image(self, image: Tensor) -> Tensor:
        return self.visual(image)

    def encode_text_tokens(self, text: Tensor) -> Tensor:
        x = self.token_embedding(text)
        x = x + self.positional_embedding[: x.shape[1]]
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_final(x) @ self.text_projection

    def forward(self, image: Tensor, text: Tensor):
        return self.encode_image(image), self.encode_text_tokens(text)


def build_reference_clip(arch: dict) -> CLIP:
    """A :class:`CLIP` from an ``hbi`` arch dict (``embed_dim``, ``vision``,
    ``text``)."""
    vision, text = arch['vision'], arch['text']
    return CLIP(
        arch['embed_dim'],
        vision['image_size'],
        vision['layers'],
        vision['width'],
        vision['patch_size'],
        text['context_length'],
        text['vocab_size'],
        text['width'],
        text['heads'],
        text['layers'],
        vision['heads'],
    )


def randomize_(module: nn.Module, std: float = 0.2) -> nn.Module:
    """Random values for every parameter (LayerNorms included) so that a
    wrong mapping cannot go unnoticed."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in module.named_parameters():
            noise = torch.randn(param.shape, generator=gen) * std
            is_ln_weight = '.ln_' in f'.{name}' and name.endswith('weight')
            param.copy_(noise + (1.0 if is_ln_weight else 0.0))
    return module


def reference_seq_transf(
    frames: Tensor,
    frame_mask: Tensor,
    position_embedding: Tensor,
    blocks: Sequence[ResidualAttentionBlock],
) -> Tensor:
    """CLIP4Clip's ``seqTransf`` path (``get_similarity_logits``)."""
    x0 = frames
    x = frames + position_embedding[: frames.shape[1]]
    ext = (1.0 - frame_mask.float().unsqueeze(1)) * -1000000.0
    ext = ext.expand(-1, frame_mask.shape[1], -1)
    x = x.permute(1, 0, 2)
    for block in blocks:
        x = block(x, ext.repeat_interleave(block.n_head, dim=0))
    return x.permute(1, 0, 2) + x0


def save_openai_clip_file(
    arch: dict, path, fmt: str = 'plain', logit_scale: float = 3.3
) -> CLIP:
    """Write a random OpenAI-layout CLIP of ``arch`` to ``path``, as
    OpenAI's TorchScript archive (``fmt='torchscript'``) or a plain state
    dict (``'plain'``, with the archives' non-weight entries); returns the
    module (its ``logit_scale`` is ``logit_scale``)."""
    clip = randomize_(build_reference_clip(arch)).eval()
    with torch.no_grad():
        clip.logit_scale.fill_(logit_scale)
    if fmt == 'plain':
        torch.save(
            dict(
                clip.state_dict(),
                input_resolution=torch.tensor(arch['vision']['image_size']),
                context_length=torch.tensor(arch['text']['context_length']),
                vocab_size=torch.tensor(arch['text']['vocab_size']),
            ),
            path,
        )
    elif fmt == 'torchscript':
        size = arch['vision']['image_size']
        inputs = (torch.zeros(1, 3, size, size), torch.ones(1, 4).long())
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.jit.save(torch.jit.trace(clip, inputs), str(path))
    else:
        raise ValueError(f'unknown format {fmt!r}')
    return clip
