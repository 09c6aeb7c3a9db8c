"""Batching, device transfer and CLIP normalisation of video-text inputs."""

from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from hbi.registry import MODELS

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


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

    Shape:
        - inputs['frames']: list of (T, 3, H, W) uint8, or (B, T, 3, H, W)
          -> (B, T, 3, H, W) float.
        - inputs['frame_mask'], ['input_ids'], ['attention_mask']:
          list of (T,) / (L,) or stacked -> (B, T) / (B, L).
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
        return value if isinstance(value, Tensor) else torch.stack(value)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs: Dict[str, Tensor] = {
            k: self._stack(v) for k, v in data['inputs'].items()
        }
        inputs = self.cast_data(inputs)
        if 'frames' in inputs:
            frames = inputs['frames']
            if frames.dim() != 5 or frames.shape[2] != 3:
                raise ValueError(
                    'frames must be [B, T, 3, H, W], got '
                    f'{tuple(frames.shape)}'
                )
            inputs['frames'] = (frames.float() - self.mean) / self.std
        data_samples: Optional[list] = data.get('data_samples')
        return dict(inputs=inputs, data_samples=data_samples)
