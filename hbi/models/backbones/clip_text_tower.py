"""CLIP text encoder returning every token (HBI A2)."""
from typing import Optional, Union

from mmengine.model import BaseModule
from torch import Tensor, nn
from transformers import CLIPTextConfig, CLIPTextModel

from hbi.registry import MODELS
from .clip_archs import (clip_encoder_config_kwargs, clip_projection,
                         enable_activation_checkpointing, resolve_clip_arch)
from .openai_clip_conversion import load_openai_clip_into


@MODELS.register_module()
class CLIPTextTower(BaseModule):
    """OpenAI CLIP's text transformer with a projection of every token.

    Built on ``transformers.CLIPTextModel`` (QuickGELU, LayerNorm eps 1e-5)
    plus a bias-free ``text_projection``. Attention is causal and hides
    padded keys. Unlike CLIP's sentence feature (the end token only), every
    token goes through ``ln_final`` and the projection, as HBI's token-wise
    interaction needs.

    Pretrained weights are loaded in ``__init__`` (not in ``init_weights``),
    so that a model built for testing or zero-shot use holds them without a
    runner; the module is then marked initialised and mmengine's
    ``init_weights`` leaves it alone.

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
        - input_ids: (B, L) int64, L <= context_length; attention_mask:
          (B, L), 1 on real tokens.
        - output: (B, L, embed_dim); values at padded positions are
          meaningless and must be masked by the caller.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'ViT-B/32',
                 pretrained: Optional[str] = None,
                 attn_implementation: str = 'sdpa',
                 gradient_checkpointing: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = resolve_clip_arch(arch)
        text = self.arch['text']
        config = CLIPTextConfig(
            vocab_size=text['vocab_size'],
            max_position_embeddings=text['context_length'],
            projection_dim=self.arch['embed_dim'],
            # transformers' legacy "argmax of input_ids" pooling (= OpenAI's);
            # the pooled output is not used here.
            bos_token_id=None,
            eos_token_id=2,
            pad_token_id=0,
            **clip_encoder_config_kwargs(text['width'], text['layers'],
                                         text['heads'], attn_implementation))
        self.text_model = CLIPTextModel(config)
        self.text_projection = clip_projection(text['width'],
                                               self.arch['embed_dim'])
        if gradient_checkpointing:
            enable_activation_checkpointing(self.text_model)
        self.pretrained = pretrained
        if pretrained is not None:
            self.load_openai_clip(pretrained)
            self._is_init = True

    @property
    def embed_dim(self) -> int:
        """Width of the projected token features."""
        return self.arch['embed_dim']

    @property
    def width(self) -> int:
        """Width of the transformer."""
        return self.arch['text']['width']

    @property
    def context_length(self) -> int:
        """Maximum number of tokens."""
        return self.arch['text']['context_length']

    @property
    def position_embedding(self) -> Tensor:
        """Positional embedding weight, (context_length, width)."""
        return self.text_model.embeddings.position_embedding.weight

    @property
    def layers(self) -> nn.ModuleList:
        """The residual attention blocks (``CLIPEncoderLayer``)."""
        return self.text_model.encoder.layers

    def load_openai_clip(self, path: str) -> None:
        """Load the text part of an OpenAI CLIP file (names and shapes
        checked; raises ValueError listing every problem)."""
        load_openai_clip_into(self, path, 'text')

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Encode tokens; see the class docstring for shapes."""
        if input_ids.shape[-1] > self.context_length:
            raise ValueError(
                f'input_ids: {input_ids.shape[-1]} tokens exceed the '
                f'context length {self.context_length}')
        hidden = self.text_model(
            input_ids=input_ids,
            attention_mask=attention_mask).last_hidden_state
        return self.text_projection(hidden)
