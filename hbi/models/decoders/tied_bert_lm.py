"""A BERT decoder (cross-attention) whose token table may be another's."""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from transformers import BertConfig, BertModel, GenerationMixin
from transformers.modeling_outputs import CausalLMOutputWithCrossAttentions
from transformers.models.bert.modeling_bert import (
    BertPredictionHeadTransform,
    BertPreTrainedModel,
)


class TiedBertLMHeadModel(BertPreTrainedModel, GenerationMixin):
    """transformers' BERT decoder with one token table for input and output.

    The layers are ``transformers.BertModel`` with ``is_decoder=True`` and
    ``add_cross_attention=True`` (causal self-attention, cross-attention to
    ``encoder_hidden_states``, key/value caching), so ``generate()`` (greedy,
    beam search, n-gram blocking, ...) is transformers' own. What differs
    from ``BertLMHeadModel`` is the vocabulary side: the token table
    ``[V, E]`` (E may differ from the hidden width H) embeds the input ids
    (``E -> H`` by ``input_proj`` when E != H) and, transposed, scores the
    output (``H -> E`` by ``output_proj``, then ``table^T`` and a bias), so
    the decoder can share the table of a CLIP text tower of another width.
    BERT's own word table is removed (the embeddings are always passed in).

    :meth:`tie_token_embedding` points the model at a table owned by
    another module without registering it here, so the parameter is trained
    once, saved once (under its owner's name) and moved with its owner.

    Args:
        config (BertConfig): A decoder config (``is_decoder`` and
            ``add_cross_attention`` True).
        embedding_dim (int): Width E of the token table.

    Shape:
        - input_ids: [B, L]; encoder_hidden_states: [B, M, H];
          encoder_attention_mask: [B, M] (1 = real).
        - logits: [B, L, V]; hidden_states (last layer): [B, L, H].
    """

    def __init__(self, config: BertConfig, embedding_dim: int) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        # The embeddings are computed here from the (shared) table.
        self.bert.embeddings.word_embeddings = None
        width = config.hidden_size
        self.token_embedding = nn.Embedding(config.vocab_size, embedding_dim)
        self.input_proj = (
            nn.Linear(embedding_dim, width, bias=False)
            if embedding_dim != width
            else nn.Identity()
        )
        self.output_transform = BertPredictionHeadTransform(config)
        self.output_proj = (
            nn.Linear(width, embedding_dim, bias=False)
            if embedding_dim != width
            else nn.Identity()
        )
        self.output_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self._tied: tuple = ()
        self.post_init()

    # ------------------------------------------------------------ the table
    @property
    def token_table(self) -> nn.Embedding:
        """The token table in use (a tied one, else the model's own)."""
        return self._tied[0] if self._tied else self.token_embedding

    def tie_token_embedding(self, embedding: nn.Embedding) -> None:
        """Use ``embedding`` (owned and registered elsewhere) as the table.

        The model's own table is deleted. The reference is kept in a tuple,
        which ``nn.Module`` does not register, so the parameter belongs to
        its owner alone (one state-dict entry, one optimiser entry).

        Raises:
            ValueError: If ``embedding`` is not ``[V, E]`` of this model.
        """
        expected = tuple(self.token_table.weight.shape)
        if tuple(embedding.weight.shape) != expected:
            raise ValueError(
                'tie_token_embedding: the table must be '
                f'{expected} (vocabulary, embedding width), got '
                f'{tuple(embedding.weight.shape)}'
            )
        if not self._tied:
            del self.token_embedding
        self._tied = (embedding,)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.token_table

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.tie_token_embedding(value)

    def embed(self, input_ids: Tensor) -> Tensor:
        """Input embeddings [B, L, H] of token ids [B, L]."""
        return self.input_proj(self.token_table(input_ids))

    def compute_logits(self, hidden: Tensor) -> Tensor:
        """Scores over the vocabulary, [..., V], of hidden states [..., H]."""
        projected = self.output_proj(self.output_transform(hidden))
        return F.linear(projected, self.token_table.weight, self.output_bias)

    # ----------------------------------------------------------- the model
    def forward(
        self,
        input_ids: Optional[Tensor] = None,
        attention_mask: Optional[Tensor] = None,
        encoder_hidden_states: Optional[Tensor] = None,
        encoder_attention_mask: Optional[Tensor] = None,
        position_ids: Optional[Tensor] = None,
        cache=None,
        use_cache: Optional[bool] = None,
        logits_to_keep: int = 0,
        return_logits: bool = True,
        **kwargs,
    ) -> CausalLMOutputWithCrossAttentions:
        """Teacher-forced pass (or one generation step with ``cache``).

        ``logits_to_keep`` > 0 scores only the last that many positions
        (``generate()`` asks for 1); ``return_logits=False`` scores none.
        """
        outputs = self.bert(
            inputs_embeds=self.embed(input_ids),
            attention_mask=attention_mask,
            position_ids=position_ids,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            cache=cache,
            use_cache=use_cache,
            return_dict=True,
        )
        hidden = outputs.last_hidden_state
        logits = None
        if return_logits:
            kept = hidden[:, -logits_to_keep:] if logits_to_keep else hidden
            logits = self.compute_logits(kept)
        return CausalLMOutputWithCrossAttentions(
            logits=logits, cache=outputs.cache, hidden_states=(hidden,)
        )
