"""The text decoder over a memory of video (and question) tokens."""

from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from transformers import BertConfig
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

from hbi.registry import MODELS

from .tied_bert_lm import TiedBertLMHeadModel

#: CLIP's vocabulary and special ids (see ``CLIPBPETokenizer``).
CLIP_VOCAB_SIZE = 49408
CLIP_START_ID = 49406
CLIP_END_ID = 49407


def check_generation_args(max_length: int, num_beams: int) -> None:
    """Refuse a ``max_length`` below 2 or a beam count below 1.

    Raises:
        ValueError: Saying what the value must be and why.
    """
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(
            'generation: max_length counts the start and the end token, so '
            f'it must be an int >= 2, got {max_length!r}'
        )
    if not isinstance(num_beams, int) or num_beams < 1:
        raise ValueError(
            'generation: num_beams must be an int >= 1 (1 = greedy), got '
            f'{num_beams!r}'
        )


@MODELS.register_module()
class TransformerTextDecoder(BaseModule):
    """A transformer decoder with cross-attention to a memory of tokens.

    ``num_layers`` BERT decoder layers (causal self-attention, then
    cross-attention to the memory, then the MLP; post-LayerNorm, learned
    positions, as the caption decoders of UniVL and CLIP4Caption), built
    from transformers' BERT so that :meth:`generate` is transformers'
    ``generate()``. The token table covers CLIP's 49,408 ids; a model that
    owns a CLIP text tower ties it with :meth:`tie_token_embedding`, which
    also scores the output (``embedding_dim`` is the table's width; when it
    is not ``width``, learned projections map between the two). A memory of
    another width is projected to ``width`` by a linear layer.

    Args:
        memory_dim (int): Width of the memory tokens. Defaults to 512.
        width (int): Hidden width. Defaults to 512.
        num_layers (int): Decoder layers. Defaults to 3.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (int): MLP width / ``width``. Defaults to 4.
        embedding_dim (int, optional): Width of the token table (the text
            tower's width when tied). Defaults to ``width``.
        max_positions (int): Longest sequence (start token included).
            Defaults to 77 (CLIP's context).
        dropout (float): Dropout of the layers and attention. Defaults to
            0.1.
        vocab_size (int): Defaults to 49,408 (CLIP).
        start_token_id (int): Defaults to 49406 (``<|startoftext|>``).
        end_token_id (int): Defaults to 49407 (``<|endoftext|>``).
        pad_token_id (int): Written after the end of generated rows; never
            read as padding (id 0 is CLIP's ``"!"``: masks say what is
            padding). Defaults to 0.
        attn_implementation (str): ``'sdpa'`` or ``'eager'``. Defaults to
            ``'sdpa'``.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - input_ids, attention_mask: [B, L]; memory: [B, M, memory_dim];
          memory_mask: [B, M] (1 = real token).
        - forward: ``hidden`` [B, L, width], ``logits`` [B, L, V].
        - generate: [B, L'] ids starting with the start token, L' <=
          ``max_length``, ``pad_token_id`` after each row's end token.
    """

    def __init__(
        self,
        memory_dim: int = 512,
        width: int = 512,
        num_layers: int = 3,
        num_heads: int = 8,
        mlp_ratio: int = 4,
        embedding_dim: Optional[int] = None,
        max_positions: int = 77,
        dropout: float = 0.1,
        vocab_size: int = CLIP_VOCAB_SIZE,
        start_token_id: int = CLIP_START_ID,
        end_token_id: int = CLIP_END_ID,
        pad_token_id: int = 0,
        attn_implementation: str = 'sdpa',
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if width % num_heads:
            raise ValueError(
                f'TransformerTextDecoder: width {width} is not divisible by '
                f'num_heads {num_heads}'
            )
        config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=width,
            num_hidden_layers=num_layers,
            num_attention_heads=num_heads,
            intermediate_size=mlp_ratio * width,
            hidden_dropout_prob=dropout,
            attention_probs_dropout_prob=dropout,
            max_position_embeddings=max_positions,
            type_vocab_size=1,
            is_decoder=True,
            add_cross_attention=True,
            pad_token_id=pad_token_id,
            bos_token_id=start_token_id,
            eos_token_id=end_token_id,
            tie_word_embeddings=False,
            attn_implementation=attn_implementation,
        )
        self.lm = TiedBertLMHeadModel(config, embedding_dim or width)
        self.memory_proj = (
            nn.Linear(memory_dim, width)
            if memory_dim != width
            else nn.Identity()
        )
        self.width, self.memory_dim = width, memory_dim
        self.max_positions = max_positions
        self.start_token_id, self.end_token_id = start_token_id, end_token_id
        self.pad_token_id = pad_token_id

    def tie_token_embedding(self, embedding: nn.Embedding) -> None:
        """Share ``embedding`` (e.g. the CLIP text tower's token table,
        [49408, text width]) as the input and output table."""
        self.lm.tie_token_embedding(embedding)

    def _memory(self, memory: Tensor, memory_mask: Tensor) -> Tensor:
        if memory.dim() != 3 or memory.shape[-1] != self.memory_dim:
            raise ValueError(
                f'memory must be [B, M, {self.memory_dim}], got '
                f'{tuple(memory.shape)}'
            )
        if tuple(memory_mask.shape) != tuple(memory.shape[:2]):
            raise ValueError(
                f'memory_mask must be {tuple(memory.shape[:2])}, got '
                f'{tuple(memory_mask.shape)}'
            )
        if not bool((memory_mask > 0).any(dim=1).all()):
            raise ValueError('memory_mask: every row needs a real token')
        return self.memory_proj(memory)

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        memory: Tensor,
        memory_mask: Tensor,
        return_logits: bool = True,
    ) -> Dict[str, Tensor]:
        """Teacher-forced decoding: position t sees tokens <= t and the
        whole memory.

        Args:
            input_ids (Tensor): Decoder input ids (start token first).
            attention_mask (Tensor): 1 on real input tokens.
            memory (Tensor): Memory tokens.
            memory_mask (Tensor): 1 on real memory tokens.
            return_logits (bool): Also score the vocabulary at every
                position (``compute_logits`` can score chosen positions
                later). Defaults to True.

        Returns:
            dict[str, Tensor]: ``hidden`` and, if asked, ``logits``.
        """
        if input_ids.shape[1] > self.max_positions:
            raise ValueError(
                f'input_ids: {input_ids.shape[1]} tokens exceed '
                f'max_positions={self.max_positions}'
            )
        out = self.lm(
            input_ids=input_ids,
            attention_mask=attention_mask,
            encoder_hidden_states=self._memory(memory, memory_mask),
            encoder_attention_mask=memory_mask,
            use_cache=False,
            return_logits=return_logits,
        )
        result = dict(hidden=out.hidden_states[0])
        if return_logits:
            result['logits'] = out.logits
        return result

    def compute_logits(self, hidden: Tensor) -> Tensor:
        """Vocabulary scores [..., V] of decoder states [..., width]."""
        return self.lm.compute_logits(hidden)

    @torch.no_grad()
    def generate(
        self,
        memory: Tensor,
        memory_mask: Tensor,
        max_length: int = 20,
        num_beams: int = 1,
        length_penalty: float = 1.0,
        no_repeat_ngram_size: int = 0,
        input_ids: Optional[Tensor] = None,
        **generation_kwargs,
    ) -> Tensor:
        """Decode token ids with transformers' ``generate()``.

        Args:
            memory (Tensor): Memory tokens.
            memory_mask (Tensor): 1 on real memory tokens.
            max_length (int): Most tokens per row, start and end included
                (>= 2). Defaults to 20.
            num_beams (int): 1 = greedy, more = beam search. Defaults to 1.
            length_penalty (float): Beam score = log-prob sum / length **
                ``length_penalty``. Defaults to 1.0.
            no_repeat_ngram_size (int): Block repeated n-grams of this size
                (0 = off). Defaults to 0.
            input_ids (Tensor, optional): Prefixes [B, P] to continue;
                defaults to the start token alone.
            **generation_kwargs: Other ``generate()`` arguments (e.g.
                ``min_length``, ``early_stopping``, ``repetition_penalty``).

        Returns:
            Tensor: Ids [B, L'] (see the class docstring).

        Raises:
            ValueError: For ``max_length`` < 2, ``num_beams`` < 1 or
                ``max_length`` > ``max_positions``.
        """
        check_generation_args(max_length, num_beams)
        if max_length > self.max_positions:
            raise ValueError(
                f'generation: max_length={max_length} exceeds the '
                f'decoder max_positions={self.max_positions}'
            )
        encoded = self._memory(memory, memory_mask)
        if input_ids is None:
            input_ids = torch.full(
                (memory.shape[0], 1),
                self.start_token_id,
                dtype=torch.long,
                device=memory.device,
            )
        was_training = self.training
        self.eval()
        try:
            return self.lm.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                encoder_hidden_states=encoded,
                encoder_attention_mask=memory_mask,
                # Bert caches cross-attention only in this cache type.
                cache=EncoderDecoderCache(DynamicCache(), DynamicCache()),
                max_length=max_length,
                num_beams=num_beams,
                length_penalty=length_penalty,
                no_repeat_ngram_size=no_repeat_ngram_size,
                do_sample=False,
                eos_token_id=self.end_token_id,
                pad_token_id=self.pad_token_id,
                bos_token_id=self.start_token_id,
                **generation_kwargs,
            )
        finally:
            self.train(was_training)
