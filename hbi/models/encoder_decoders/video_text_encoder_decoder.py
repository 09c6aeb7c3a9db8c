"""A retriever extended with a text decoder and task heads (journal HBI)."""

import logging
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from hbi.models.backbones.openai_clip_conversion import (
    load_state_dict_checked,
)
from hbi.models.retrievers.model_checkpoint import read_model_checkpoint
from hbi.models.retrievers.video_text_retriever import VideoTextRetriever
from hbi.registry import MODELS
from hbi.utils.pretrained_files import weights_come_from_checkpoint

from ..retrievers.base import SampleList
from .level_token_memory import LevelTokenMemory, MemoryPart
from .question_answering import QuestionAnsweringMixin

#: State-dict prefixes of what this model adds to a retriever.
OWN_MODULES = ('decoder.', 'memory.', 'task_heads.')
#: How the decoder's token table relates to the text tower's.
TIE_MODES = ('share', 'copy', 'none')


@MODELS.register_module()
class VideoTextEncoderDecoder(QuestionAnsweringMixin, VideoTextRetriever):
    """One model for retrieval, captioning and VideoQA (docs/en/methods/
    hbi_v2.md B2): a :class:`VideoTextRetriever` (same towers, temporal
    module, head and parameter names, so retrieval checkpoints and loops
    apply unchanged) plus a text decoder over a memory of the video's tokens
    and task heads chosen by config.

    Memory (:meth:`encode_memory`): the head's video tokens at each of
    ``memory_levels`` (HBI: ``entity`` = frames, ``action`` and ``event`` =
    the merged levels), each with a learned level embedding, plus any extra
    parts a task head adds (e.g. question tokens, named in
    ``extra_memory_parts``). With a reconstruction neck in the head and a
    text to reconstruct against (a question, never a caption being
    predicted), the level tokens are first reconstructed against it.

    Training (:meth:`loss`): texts and videos are encoded once; the
    retrieval losses of the head (``retrieval_loss_weight`` times each; 0
    skips them) plus every task head's losses, computed on this rank's
    tensors. Prediction: every task head fills its fields (e.g.
    ``pred_caption``); the VideoQA heads answer together
    (:class:`QuestionAnsweringMixin`: ``answer``, ``pred_answer`` /
    ``pred_text``).

    Args:
        decoder (dict): Config of the decoder (``TransformerTextDecoder``);
            ``memory_dim`` defaults to the towers' embedding width and, when
            tied, ``embedding_dim`` to the text tower's width.
        task_heads (dict[str, dict]): Named task heads, e.g.
            ``dict(caption=dict(type='CaptionHead'))``.
        memory_levels (Sequence[str]): Video levels in the memory.
            Defaults to ``('entity', 'action', 'event')``.
        extra_memory_parts (Sequence[str]): Names of further memory parts
            task heads may add (each gets a level embedding). Defaults to ().
        retrieval_loss_weight (float): Weight of the retrieval losses.
            Defaults to 1.0.
        tie_text_embedding (str | bool): How the decoder's token table
            relates to the CLIP text tower's: ``'share'`` (True): one
            parameter for both, input and output; ``'copy'``: the decoder's
            own table, initialised from the text tower's (after
            ``retriever_checkpoint`` is loaded); ``'none'`` (False): its own
            table, initialised at random. Defaults to ``'share'``.
        retriever_checkpoint (str, optional): A retriever checkpoint (any
            layout ``tools/test.py`` loads) loaded on top of the
            initialisation; the decoder, memory and task heads keep theirs
            (listed in the log). Defaults to None.
        **retriever_kwargs: The arguments of :class:`VideoTextRetriever`
            (``text_encoder``, ``video_encoder``, ``head``, ``temporal``,
            ``clip_file``, ``data_preprocessor``, ...).

    Shape:
        - inputs: as :class:`VideoTextRetriever`, plus the task heads' keys
          (e.g. ``caption_input_ids`` [B, L]).
        - encode_memory: memory [B, M, D], mask [B, M].
    """

    def __init__(
        self,
        decoder: dict,
        task_heads: Dict[str, dict],
        memory_levels: Sequence[str] = ('entity', 'action', 'event'),
        extra_memory_parts: Sequence[str] = (),
        retrieval_loss_weight: float = 1.0,
        tie_text_embedding: Union[str, bool] = 'share',
        retriever_checkpoint: Optional[str] = None,
        **retriever_kwargs,
    ) -> None:
        super().__init__(**retriever_kwargs)
        if not task_heads:
            raise ValueError(
                'VideoTextEncoderDecoder: task_heads is empty; give e.g. '
                "dict(caption=dict(type='CaptionHead'))"
            )
        tie = {True: 'share', False: 'none'}.get(
            tie_text_embedding, tie_text_embedding
        )
        if tie not in TIE_MODES:
            raise ValueError(
                f'tie_text_embedding must be one of {TIE_MODES} (or a bool),'
                f' got {tie_text_embedding!r}'
            )
        self.tie_text_embedding = tie
        embed_dim = self.text_encoder.embed_dim
        decoder = dict(decoder)
        decoder.setdefault('memory_dim', embed_dim)
        if tie != 'none':
            decoder.setdefault('embedding_dim', self.text_encoder.width)
        self.decoder = MODELS.build(decoder)
        if tie == 'share':
            self.decoder.tie_token_embedding(self.text_token_embedding)
        self.memory_levels = tuple(memory_levels)
        self.memory = LevelTokenMemory(
            embed_dim, self.memory_levels + tuple(extra_memory_parts)
        )
        self.task_heads = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in task_heads.items()}
        )
        self.retrieval_loss_weight = float(retrieval_loss_weight)
        self.retriever_checkpoint = retriever_checkpoint

    @property
    def text_token_embedding(self) -> nn.Embedding:
        """The CLIP text tower's token table [49408, text width]."""
        return self.text_encoder.text_model.embeddings.token_embedding

    def init_weights(self) -> None:
        """Initialise, load ``retriever_checkpoint`` if given, then copy the
        text tower's token table into the decoder's (``'copy'``)."""
        super().init_weights()
        if self.retriever_checkpoint and not weights_come_from_checkpoint():
            self.load_retriever_checkpoint(self.retriever_checkpoint)
        if self.tie_text_embedding == 'copy':
            table = self.decoder.lm.token_table.weight
            with torch.no_grad():
                table.copy_(self.text_token_embedding.weight)

    def load_retriever_checkpoint(self, filename: str) -> None:
        """Load a retriever's weights; the added modules keep theirs.

        Raises:
            ValueError: Names or shapes of the retriever part that do not
                match (all listed).
        """
        _, converted, layout = read_model_checkpoint(filename)
        kept = load_state_dict_checked(
            self, converted, source=filename, allow_missing=OWN_MODULES
        )
        print_log(
            f'{type(self).__name__}: loaded the retriever of {filename} '
            f'(layout {layout}); {len(kept)} entries of the decoder, memory '
            f'and task heads keep their initialisation, e.g. {kept[:3]}',
            logger='current',
            level=logging.INFO,
        )

    # ------------------------------------------------------------- memory
    def reconstruction_neck(self) -> Optional[nn.Module]:
        """The head's cross-modal reconstruction neck, if it has one."""
        neck_type = MODELS.get('CrossModalReconstruction')
        if neck_type is None:
            return None
        return next(
            (m for m in self.head.modules() if isinstance(m, neck_type)),
            None,
        )

    def encode_memory(
        self,
        video: dict,
        extra_parts: Sequence[MemoryPart] = (),
        reconstruct_against: Optional[Tuple[Tensor, Optional[Tensor]]] = None,
    ) -> Tuple[Tensor, Tensor]:
        """The decoder memory of encoded videos.

        Args:
            video (dict): From :meth:`encode_video`; must hold
                ``'{level}_tokens'`` (and optionally ``'{level}_mask'``) for
                every memory level.
            extra_parts (Sequence[tuple]): ``(name, tokens, mask)`` to
                append (names among ``extra_memory_parts``).
            reconstruct_against (tuple, optional): ``(tokens, mask)`` of a
                text the video tokens are reconstructed against, when the
                head has a reconstruction neck. Captioning passes none: the
                caption is what is predicted, so at test time there is no
                text, and in training the target would leak into the memory.

        Returns:
            tuple[Tensor, Tensor]: memory [B, M, D] and mask [B, M].

        Raises:
            KeyError: If the head gives no tokens of a memory level.
        """
        neck = (
            self.reconstruction_neck()
            if reconstruct_against is not None
            else None
        )
        parts = []
        for index, level in enumerate(self.memory_levels):
            if f'{level}_tokens' not in video:
                raise KeyError(
                    f'{type(self).__name__}: the video features of '
                    f'{type(self.head).__name__} have no {level}_tokens '
                    f'(memory_levels={self.memory_levels}); the memory needs '
                    'a head with token levels, e.g. HierarchicalBanzhafHead'
                )
            tokens, mask = video[f'{level}_tokens'], video.get(f'{level}_mask')
            if neck is not None:
                tokens = neck(tokens, mask, *reconstruct_against, level=index)
            parts.append((level, tokens, mask))
        return self.memory([*parts, *extra_parts])

    # ---------------------------------------------------------- the modes
    def loss(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> Dict[str, Tensor]:
        """Weighted retrieval losses (the head's and any extra losses')
        plus every task head's losses; texts and videos encoded once."""
        losses = {}
        if 'input_ids' in inputs and self.retrieval_loss_weight:
            retrieval, text, video = self.losses_and_features(inputs)
            features = dict(text=text, video=video)
            weight = self.retrieval_loss_weight
            losses.update({k: weight * v for k, v in retrieval.items()})
        else:  # no retrieval term (weight 0, or a batch of videos alone)
            features = self.extract_feat(inputs)
        for name, head in self.task_heads.items():
            head_losses = head.loss(self, inputs, data_samples, features)
            clash = set(head_losses) & set(losses)
            if clash:
                raise KeyError(
                    f'task head {name!r} returns loss names already in use: '
                    f'{sorted(clash)}'
                )
            losses.update(head_losses)
        return losses

    def predict(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> SampleList:
        """Every task head's predictions on the batch (videos encoded
        once)."""
        if data_samples is None:
            raise ValueError(
                f'{type(self).__name__}.predict needs data samples to fill'
            )
        features = self.extract_feat(inputs)
        qa_heads = self.qa_heads()
        for name, head in self.task_heads.items():
            if name not in qa_heads:
                data_samples = head.predict(
                    self, inputs, data_samples, features
                )
        if qa_heads:
            data_samples = self.predict_answers(features, data_samples)
        return data_samples
