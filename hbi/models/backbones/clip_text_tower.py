"""CLIP text encoder returning every token (HBI A2)."""

from torch import Tensor, nn
from transformers import CLIPTextConfig, CLIPTextModel

from hbi.registry import MODELS

from .clip_archs import clip_encoder_config_kwargs
from .clip_tower_base import BaseCLIPTower


@MODELS.register_module()
class CLIPTextTower(BaseCLIPTower):
    """OpenAI CLIP's text transformer with a projection of every token.

    Built on ``transformers.CLIPTextModel`` (QuickGELU, LayerNorm eps 1e-5)
    plus a bias-free ``text_projection``. Attention is causal and hides
    padded keys. Unlike CLIP's sentence feature (the end token only), every
    token goes through ``ln_final`` and the projection, as HBI's token-wise
    interaction needs.

    Arguments and pretrained loading: :class:`BaseCLIPTower`.

    Shape:
        - input_ids: (B, L) int64, L <= context_length; attention_mask:
          (B, L), 1 on real tokens.
        - output: (B, L, embed_dim); values at padded positions are
          meaningless and must be masked by the caller.
    """

    part, model_attr, projection_attr = 'text', 'text_model', 'text_projection'

    def build_model(
        self, part_arch: dict, attn_implementation: str
    ) -> CLIPTextModel:
        return CLIPTextModel(
            CLIPTextConfig(
                vocab_size=part_arch['vocab_size'],
                max_position_embeddings=part_arch['context_length'],
                projection_dim=self.arch['embed_dim'],
                # transformers' legacy "argmax of input_ids" pooling (=
                # OpenAI's); the pooled output is not used here.
                bos_token_id=None,
                eos_token_id=2,
                pad_token_id=0,
                **clip_encoder_config_kwargs(
                    part_arch['width'],
                    part_arch['layers'],
                    part_arch['heads'],
                    attn_implementation,
                ),
            )
        )

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

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Encode tokens; see the class docstring for shapes."""
        if input_ids.shape[-1] > self.context_length:
            raise ValueError(
                f'input_ids: {input_ids.shape[-1]} tokens exceed the '
                f'context length {self.context_length}'
            )
        hidden = self.text_model(
            input_ids=input_ids, attention_mask=attention_mask
        ).last_hidden_state
        return self.text_projection(hidden)
