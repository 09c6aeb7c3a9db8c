"""Text-video retrieval as towers + temporal module + interaction head."""

import math
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor, nn

from hbi.models.backbones.openai_clip_conversion import (
    convert_openai_clip,
    load_openai_clip_state_dict,
)
from hbi.registry import MODELS
from hbi.utils.distributed import all_gather_with_grad

from .base import BaseVideoTextModel, SampleList


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
        init_logit_scale (float): Initial log inverse temperature, used when
            no pretrained CLIP file provides one. Defaults to ln(1/0.07).
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
        init_logit_scale: float = math.log(1 / 0.07),
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self.text_encoder = MODELS.build(text_encoder)
        self.video_encoder = MODELS.build(video_encoder)
        self.temporal = MODELS.build(temporal)
        self.head = MODELS.build(head)
        self._freeze_unused_estimators()
        self.logit_scale = nn.Parameter(torch.tensor(float(init_logit_scale)))
        self.init_temporal_from_text = init_temporal_from_text
        # The towers load their own weights; the temperature comes from the
        # same OpenAI file.
        self.clip_file = text_encoder.get('pretrained')

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
        if self.clip_file:
            clip = convert_openai_clip(
                load_openai_clip_state_dict(self.clip_file)
            )
            if clip.get('logit_scale') is not None:
                self.logit_scale.data.fill_(float(clip['logit_scale']))
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

        Only real frames go through the vision tower; padded ones stay 0.
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
        frame_emb = self.video_encoder(flat.index_select(0, index))
        tokens = frame_emb.new_zeros(flat.shape[0], *frame_emb.shape[1:])
        tokens = tokens.index_copy(0, index, frame_emb).view(
            *frames.shape[:2], *frame_emb.shape[1:]
        )
        tokens = self.temporal(tokens, frame_mask)
        return self.head.encode_video(tokens, frame_mask)

    def similarity(
        self, text: dict, video: dict, levels: Optional[Sequence[str]] = None
    ) -> Dict[str, Tensor]:
        """Text-to-video similarities [Nt, Nv], per level and ``'fused'``."""
        return self.head.similarity(text, video, levels=levels)

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
        return self.retrieval_loss(
            self.encode_text(inputs['input_ids'], inputs['attention_mask']),
            self.encode_video(inputs['frames'], inputs['frame_mask']),
        )

    def retrieval_loss(self, text: dict, video: dict) -> Dict[str, Tensor]:
        """The head's losses of this rank's encoded pairs (text b with video
        b), over the batch gathered from all ranks (with gradients)."""
        return self.head.loss(
            all_gather_with_grad(text),
            all_gather_with_grad(video),
            self.logit_scale,
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
