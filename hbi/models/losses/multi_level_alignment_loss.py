"""Global and segment-level alignment (``docs/en/methods/multilevel.md``)."""

from typing import Dict, Tuple

from torch import Tensor

from hbi.registry import MODELS
from hbi.utils.distributed import all_gather_with_grad

from ..layers.global_pooling import end_token_embedding, mean_frame_embedding
from .contrastive_loss import symmetric_info_nce
from .retrieval_extra_loss import BaseRetrievalLoss, RetrievalLossBatch


def encode_segments(model, inputs: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
    """Embeddings of the real segments of this rank's videos: mean of the
    segment's frames and end token of its sentence (L2-normalised).

    Shape:
        - inputs: ``segment_frames`` (B, S, Ts, 3, H, W), ``segment_mask``
          (B, S), ``segment_frame_mask`` (B, S, Ts), ``segment_input_ids`` /
          ``segment_attention_mask`` (B, S, Lt).
        - output: two (N, D), N = real segments, in (video, segment) order.
    """
    real = inputs['segment_mask'].bool()
    if not bool(real.any()):  # still a (0, D) pair: every rank gathers
        empty = inputs['segment_frames'].new_zeros(
            0, model.text_encoder.embed_dim
        )
        return empty, empty
    frame_mask = inputs['segment_frame_mask'][real]
    frames = model.encode_frames(inputs['segment_frames'][real], frame_mask)
    text_mask = inputs['segment_attention_mask'][real]
    words = model.text_encoder(inputs['segment_input_ids'][real], text_mask)
    return (
        mean_frame_embedding(frames, frame_mask),
        end_token_embedding(words, text_mask),
    )


@MODELS.register_module()
class MultiLevelAlignmentLoss(BaseRetrievalLoss):
    """Contrastive alignment at two levels, each with its weight.

    - ``loss_global``: symmetric InfoNCE of whole videos (mean frame) and
      whole captions or paragraphs (end token) over the gathered batch;
    - ``loss_segment``: symmetric InfoNCE of segments (a segment's own
      frames, sampled inside its span) and the sentences describing them,
      over all segments of the gathered batch: the other segments, those
      of the same video included, are the negatives. Needs the segment
      side inputs; a training set without timestamps turns this level off
      (logged before training).

    Both use the retriever's ``logit_scale``.

    Args:
        global_weight (float): Defaults to 1.0.
        segment_weight (float): Defaults to 1.0.
    """

    optional_inputs = ('segment_frames', 'segment_sentences')

    def __init__(
        self, global_weight: float = 1.0, segment_weight: float = 1.0
    ) -> None:
        super().__init__()
        self.global_weight, self.segment_weight = global_weight, segment_weight

    def forward(self, batch: RetrievalLossBatch) -> Dict[str, Tensor]:
        inputs, losses = batch.inputs, {}
        if self.global_weight:
            video = mean_frame_embedding(
                batch.frame_tokens, inputs['frame_mask']
            )
            text = end_token_embedding(
                batch.text_tokens, inputs['attention_mask']
            )
            video, text = all_gather_with_grad((video, text))
            losses['loss_global'] = self.global_weight * symmetric_info_nce(
                text @ video.t(), batch.logit_scale
            )
        if self.segment_weight and 'segment_frames' in inputs:
            video, text = all_gather_with_grad(
                encode_segments(batch.model, inputs)
            )
            if video.shape[0] > 1:
                loss = symmetric_info_nce(text @ video.t(), batch.logit_scale)
            else:  # no negative: nothing to contrast
                loss = video.sum() * 0.0 + text.sum() * 0.0
            losses['loss_segment'] = self.segment_weight * loss
        return losses
