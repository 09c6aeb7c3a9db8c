"""Text-video retrieval as towers + temporal module + interaction head."""

import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from hbi.models.backbones.openai_clip_conversion import (
    check_openai_clip_file,
)
from hbi.models.losses.retrieval_extra_loss import RetrievalLossBatch
from hbi.registry import MODELS
from hbi.utils.distributed import all_gather_with_grad
from hbi.utils.pretrained_files import weights_come_from_checkpoint

from .base import BaseVideoTextModel, SampleList
from .clip_file import read_logit_scale, resolve_clip_file


@MODELS.register_module()
class VideoTextRetriever(BaseVideoTextModel):
    """A CLIP-style retriever assembled from registered parts.

    The text tower gives every token's embedding, the vision tower one
    embedding per frame, the temporal module mixes frames, and the head owns
    how text and video interact (mean pooling for the CLIP4Clip "meanP"
    baseline, Hierarchical Banzhaf Interaction for HBI). Each text and each
    video is encoded once (:meth:`encode_text`, :meth:`encode_video`); the
    interaction of any texts with any videos is :meth:`similarity`.

    Args:
        text_encoder (dict): Config of the text tower (``CLIPTextTower``).
        video_encoder (dict): Config of the frame tower (``CLIPVisionTower``).
        head (dict): Config of the interaction head.
        temporal (dict): Config of the temporal module.
            Defaults to ``dict(type='IdentityTemporal')`` (meanP).
        init_temporal_from_text (bool): Initialise the temporal module from
            the text tower (HBI's seqTransf). Defaults to False.
        clip_file (str, optional): OpenAI CLIP file of both towers and of
            ``logit_scale`` (read when the model is built; a missing file
            is an error saying where to get it). Without it, the towers'
            own ``pretrained`` (the same file for both, or None for both).
            Defaults to None.
        reranker (dict, optional): Config of a second-stage re-ranker
            (:class:`~hbi.models.rerankers.BaseReranker`), e.g.
            ``dict(type='ReconstructionReranker', k=16, weight=1.0)``: the
            test loop and the search API re-rank each text's top-k videos by
            ``fused + weight * rerank_scores(...)``. None (default): no
            re-ranking.
        init_logit_scale (float): Initial log inverse temperature, used when
            no CLIP file provides one. Defaults to ln(1/0.07).
        extra_losses (Sequence[dict]): Losses added to the head's, each a
            :class:`~hbi.models.losses.BaseRetrievalLoss` (TACo, Clover,
            multi-level alignment). Defaults to none.
        fusion_encoder (dict, optional): A cross-modal encoder of (text,
            video) pairs (``FusionEncoder``) used by extra losses and the
            ``FusionReranker`` (TACo). Defaults to None.
        data_preprocessor (dict): Defaults to ``VideoTextDataPreprocessor``.
        init_cfg (dict, optional): Defaults to None.

    Shape:
        - input_ids, attention_mask: (B, Lt); frames: (B, T, 3, H, W)
          normalised; frame_mask: (B, T).
    """

    def __init__(
        self,
        text_encoder: dict,
        video_encoder: dict,
        head: dict,
        temporal: dict = dict(type='IdentityTemporal'),
        init_temporal_from_text: bool = False,
        clip_file: Optional[str] = None,
        reranker: Optional[dict] = None,
        init_logit_scale: float = math.log(1 / 0.07),
        extra_losses: Sequence[dict] = (),
        fusion_encoder: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self.clip_file, text_encoder, video_encoder = resolve_clip_file(
            clip_file, text_encoder, video_encoder
        )
        if clip_file and not weights_come_from_checkpoint():
            check_openai_clip_file(clip_file, 'model.clip_file')
        self.text_encoder = MODELS.build(text_encoder)
        self.video_encoder = MODELS.build(video_encoder)
        self.temporal = MODELS.build(temporal)
        self.head = MODELS.build(head)
        self.reranker = MODELS.build(reranker) if reranker else None
        self._freeze_unused_estimators()
        self.logit_scale = nn.Parameter(torch.tensor(float(init_logit_scale)))
        self.extra_losses = nn.ModuleList(
            MODELS.build(cfg) for cfg in extra_losses
        )
        self.fusion_encoder = (
            MODELS.build(fusion_encoder) if fusion_encoder else None
        )
        needing = [
            type(loss).__name__
            for loss in [*self.extra_losses, self.reranker]
            if getattr(loss, 'needs_fusion_encoder', False)
        ]
        if needing and self.fusion_encoder is None:
            raise ValueError(
                f'VideoTextRetriever: {needing} need a fusion_encoder '
                "(e.g. fusion_encoder=dict(type='FusionEncoder', "
                'embed_dim=...))'
            )
        self.keep_tokens = bool(getattr(self.reranker, 'needs_tokens', False))
        # The towers loaded their weights; the temperature is CLIP's too.
        if self.clip_file and not weights_come_from_checkpoint():
            self.logit_scale.data.copy_(read_logit_scale(self.clip_file))
        self.init_temporal_from_text = init_temporal_from_text

    def _freeze_unused_estimators(self) -> None:
        """Without a teacher the Banzhaf terms are off and the head's
        estimators would get no gradient, which DDP reports as unused
        parameters. Freezing them keeps ``find_unused_parameters=False``
        valid (DDP and the optimiser skip parameters without
        ``requires_grad``); they stay in the state dict, so released
        checkpoints still load."""
        estimators = getattr(self.head, 'banzhaf_estimators', None)
        if estimators is not None and not getattr(
            self.head, 'use_banzhaf', True
        ):
            estimators.requires_grad_(False)

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_temporal_from_text:
            self.temporal.init_from_text_tower(self.text_encoder)

    # ----------------------------------------------------------- encoders
    def encode_text(self, input_ids: Tensor, attention_mask: Tensor) -> dict:
        """Features of every level for each text, computed once per text."""
        if input_ids.dim() != 2 or attention_mask.shape != input_ids.shape:
            raise ValueError(
                'input_ids and attention_mask must both be [B, L], got '
                f'{tuple(input_ids.shape)} and {tuple(attention_mask.shape)}'
            )
        tokens = self.text_encoder(input_ids, attention_mask)
        feats = self.head.encode_text(tokens, attention_mask)
        if self.keep_tokens:  # read by the reranker
            feats.update(word_tokens=tokens, word_mask=attention_mask)
        return feats

    def encode_video(self, frames: Tensor, frame_mask: Tensor) -> dict:
        """Features of every level for each video, computed once per video.

        As released (``docs/en/methods/hbi.md`` A1), a padded frame slot is
        an all-zero image in the normalised pixel space that goes through
        the vision tower and the temporal module like a real frame: the
        token-wise interaction masks it, but the merge step's convolution
        reads it, so the action and event levels of a video shorter than
        ``max_frames`` depend on it. Its tower output is the same for every
        slot, so the tower runs on the real frames plus ONE zero frame per
        batch, whose output fills every padded slot; what ``frames`` holds
        at padded slots is never read.
        """
        tokens = self.encode_frames(frames, frame_mask)
        feats = self.head.encode_video(tokens, frame_mask)
        if self.keep_tokens:
            feats.update(frame_tokens=tokens, frame_mask=frame_mask)
        return feats

    def encode_frames(
        self,
        frames: Tensor,
        frame_mask: Tensor,
        patch_mask: Optional[Tensor] = None,
        return_patch_tokens: bool = False,
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Frame features after the temporal module (before the head).

        Args:
            frames (Tensor): Normalised frames, (B, T, 3, H, W).
            frame_mask (Tensor): 1 on real frames, (B, T).
            patch_mask (Tensor, optional): (B, P) bool, patches dropped in
                every frame of each video (Clover's masked view).
            return_patch_tokens (bool): Also return the projected patch
                tokens, (B, T, P_kept, D) (a padded slot holds those of the
                zero frame).

        Returns:
            Tensor | tuple: (B, T, D) frame features, and the patch tokens.
        """
        if frames.dim() != 5:
            raise ValueError(
                'frames must be [B, T, 3, H, W] (normalised), '
                f'got a tensor of rank {frames.dim()}: '
                f'{tuple(frames.shape)}'
            )
        if frame_mask.shape != frames.shape[:2]:
            raise ValueError(
                f'frame_mask must be [B, T] = {tuple(frames.shape[:2])}, '
                f'got {tuple(frame_mask.shape)}'
            )
        # One host synchronisation (the count of real frames); index_copy
        # back needs none, so on a GPU the kernels after the vision tower
        # are queued while it runs (boolean ``tokens[real] = ...`` waited).
        index = frame_mask.flatten().bool().nonzero().squeeze(1)
        flat = frames.flatten(0, 1)
        zero_frame = flat.new_zeros(1, *flat.shape[1:])
        kwargs = {}
        if patch_mask is not None:
            per_frame = patch_mask.repeat_interleave(frames.shape[1], dim=0)
            kwargs['patch_mask'] = torch.cat(
                [per_frame.index_select(0, index), patch_mask[:1]]
            )
        if return_patch_tokens:
            kwargs['return_patch_tokens'] = True
        out = self.video_encoder(
            torch.cat([flat.index_select(0, index), zero_frame]), **kwargs
        )
        emb, patches = out if return_patch_tokens else (out, None)
        tokens = self._place_frames(emb, index, frames.shape[:2])
        tokens = self.temporal(tokens, frame_mask)
        if not return_patch_tokens:
            return tokens
        return tokens, self._place_frames(patches, index, frames.shape[:2])

    @staticmethod
    def _place_frames(
        values: Tensor, index: Tensor, batch_shape: torch.Size
    ) -> Tensor:
        """The real frames' ``values`` (all rows but the last) at their
        (B, T) places, the zero frame's (the last row) in every padded
        slot."""
        out = values[-1:].expand(
            batch_shape[0] * batch_shape[1], *values.shape[1:]
        )
        return out.index_copy(0, index, values[:-1]).view(
            *batch_shape, *values.shape[1:]
        )

    def similarity(
        self, text: dict, video: dict, levels: Optional[Sequence[str]] = None
    ) -> Dict[str, Tensor]:
        """Text-to-video similarities [Nt, Nv], per level and ``'fused'``."""
        return self.head.similarity(text, video, levels=levels)

    def rerank_scores(
        self,
        text_feats: dict,
        video_feats: dict,
        text_index: Tensor,
        video_index: Tensor,
    ) -> Tensor:
        """Second-stage scores of the pairs ``(text_index[p],
        video_index[p])`` from the configured reranker.

        Shape:
            - text_index, video_index: (P,); output: (P,).
        """
        if self.reranker is None:
            raise RuntimeError(
                'VideoTextRetriever.rerank_scores: the model has no '
                'reranker (set model.reranker=dict(type=..., k=..., '
                'weight=...))'
            )
        return self.reranker(
            self, text_feats, video_feats, text_index, video_index
        )

    # ---------------------------------------------------------- the modes
    def extract_feat(self, inputs: Dict[str, Tensor]) -> dict:
        feats = {}
        if 'input_ids' in inputs:
            feats['text'] = self.encode_text(
                inputs['input_ids'], inputs['attention_mask']
            )
        if 'frames' in inputs:
            feats['video'] = self.encode_video(
                inputs['frames'], inputs['frame_mask']
            )
        return feats

    def loss(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> Dict[str, Tensor]:
        """Losses over the batch gathered from all ranks (with gradients):
        the head's (:meth:`retrieval_loss`), then each extra loss's (see
        :class:`~hbi.models.losses.RetrievalLossBatch`)."""
        text_mask, frame_mask = inputs['attention_mask'], inputs['frame_mask']
        text_tokens = self.text_encoder(inputs['input_ids'], text_mask)
        patches = any(
            getattr(loss, 'needs_patch_tokens', False)
            for loss in self.extra_losses
        )
        frame_tokens = self.encode_frames(
            inputs['frames'], frame_mask, return_patch_tokens=patches
        )
        frame_tokens, patch_tokens = (
            frame_tokens if patches else (frame_tokens, None)
        )
        text = self.head.encode_text(text_tokens, text_mask)
        video = self.head.encode_video(frame_tokens, frame_mask)
        losses = self.retrieval_loss(text, video)
        if not self.extra_losses:
            return losses
        batch = RetrievalLossBatch(
            self,
            inputs,
            text_tokens,
            frame_tokens,
            text,
            video,
            self.logit_scale,
            patch_tokens,
        )
        for extra in self.extra_losses:
            for key, value in extra(batch).items():
                if key in losses:
                    raise KeyError(
                        f'{type(extra).__name__} returns {key!r}, a loss '
                        'name already taken'
                    )
                losses[key] = value
        return losses

    def retrieval_loss(
        self, local_text: dict, local_video: dict
    ) -> Dict[str, Tensor]:
        """The head's losses of this rank's encoded pairs (text b with video
        b).

        The head gets the features gathered from all ranks (with gradients)
        and, on more than one process, this rank's own (``local_text`` /
        ``local_video``, None on one process, where they are the gathered
        ones) for its per-pair terms; see
        :func:`hbi.utils.distributed.all_gather_with_grad`.
        """
        text = all_gather_with_grad(local_text)
        video = all_gather_with_grad(local_video)
        gathered = text is not local_text
        return self.head.loss(
            text,
            video,
            self.logit_scale,
            local_text=local_text if gathered else None,
            local_video=local_video if gathered else None,
        )

    def predict(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> SampleList:
        """Score each sample's own (text, video) pair: ``pred_score``."""
        feats = self.extract_feat(inputs)
        sims = self.similarity(feats['text'], feats['video'])['fused']
        scores = sims.diagonal()
        for sample, score in zip(data_samples, scores):
            sample.set_field(score.detach(), 'pred_score')
        return data_samples
