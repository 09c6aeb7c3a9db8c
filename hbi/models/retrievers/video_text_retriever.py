"""Text-video retrieval as towers + temporal module + interaction head."""

import math
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor, nn

from hbi.models.backbones.openai_clip_conversion import (
    check_openai_clip_file,
)
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
        return self.head.encode_text(tokens, attention_mask)

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
        emb = self.video_encoder(
            torch.cat([flat.index_select(0, index), zero_frame])
        )
        frame_emb, padded_emb = emb[:-1], emb[-1:]
        tokens = padded_emb.expand(flat.shape[0], *emb.shape[1:])
        tokens = tokens.index_copy(0, index, frame_emb).view(
            *frames.shape[:2], *emb.shape[1:]
        )
        tokens = self.temporal(tokens, frame_mask)
        return self.head.encode_video(tokens, frame_mask)

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
        """Losses over the batch gathered from all ranks (with gradients)."""
        text = self.encode_text(inputs['input_ids'], inputs['attention_mask'])
        video = self.encode_video(inputs['frames'], inputs['frame_mask'])
        return self.retrieval_loss(text, video)

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
