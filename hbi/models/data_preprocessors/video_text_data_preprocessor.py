"""Batching, device transfer and CLIP normalisation of video-text inputs."""

from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from hbi.registry import MODELS

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
#: Inputs holding uint8 frames to normalise, and their layouts.
FRAME_KEYS = {
    'frames': ('B', 'T', '3', 'H', 'W'),
    'segment_frames': ('B', 'S', 'Ts', '3', 'H', 'W'),
}


@MODELS.register_module()
class VideoTextDataPreprocessor(BaseDataPreprocessor):
    """Stack per-sample inputs, move them to the model's device and normalise
    frames.

    Frames arrive as uint8 ``[T, 3, H, W]`` per sample (see
    ``PackVideoTextInputs``) so that the loader moves 4x fewer bytes; they are
    turned into float ``(x / 255 - mean) / std`` here, on the device.

    Args:
        mean (Sequence[float]): Per-channel mean in [0, 1]. Defaults to CLIP's.
        std (Sequence[float]): Per-channel std in [0, 1]. Defaults to CLIP's.

    Per-sample tensors of different shapes (the segments of
    ``PackVideoTextInputs``: a variable number per video) are zero-padded
    to the batch's largest in every dim before stacking; their masks
    (``segment_mask``, ``segment_frame_mask``) are then 0 on the padding.
    ``segment_frames`` are normalised like ``frames``.

    Shape:
        - inputs['frames']: list of (T, 3, H, W) uint8, or (B, T, 3, H, W)
          -> (B, T, 3, H, W) float.
        - inputs['frame_mask'], ['input_ids'], ['attention_mask']:
          list of (T,) / (L,) or stacked -> (B, T) / (B, L).
        - inputs['segment_frames']: list of (S_i, Ts_i, 3, H, W) ->
          (B, S, Ts, 3, H, W) float; other ``segment_*``: (B, S[, ...]).
    """

    def __init__(
        self,
        mean: Sequence[float] = CLIP_MEAN,
        std: Sequence[float] = CLIP_STD,
    ) -> None:
        super().__init__()
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f'mean and std need 3 values, got {mean}, {std}')
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, 1, 3, 1, 1) * 255, False
        )
        self.register_buffer(
            'std', torch.tensor(std).view(1, 1, 3, 1, 1) * 255, False
        )

    @staticmethod
    def _stack(value: Union[Tensor, List[Tensor]]) -> Tensor:
        if isinstance(value, Tensor):
            return value
        shapes = {tuple(v.shape) for v in value}
        if len(shapes) == 1:
            return torch.stack(value)
        if len({len(shape) for shape in shapes}) != 1:
            raise ValueError(
                f'cannot batch tensors of different ranks: {sorted(shapes)}'
            )
        size = [max(dims) for dims in zip(*shapes)]
        out = value[0].new_zeros(len(value), *size)
        for i, v in enumerate(value):
            out[(i, *(slice(0, d) for d in v.shape))] = v
        return out

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs: Dict[str, Tensor] = {
            k: self._stack(v) for k, v in data['inputs'].items()
        }
        inputs = self.cast_data(inputs)
        for key, layout in FRAME_KEYS.items():
            if key not in inputs:
                continue
            frames = inputs[key]
            if frames.dim() != len(layout) or frames.shape[-3] != 3:
                raise ValueError(
                    f'{key} must be [{", ".join(layout)}], got '
                    f'{tuple(frames.shape)}'
                )
            mean, std = self.mean.view(3, 1, 1), self.std.view(3, 1, 1)
            inputs[key] = (frames.float() - mean) / std
        data_samples: Optional[list] = data.get('data_samples')
        return dict(inputs=inputs, data_samples=data_samples)
