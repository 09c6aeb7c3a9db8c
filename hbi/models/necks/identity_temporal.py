"""No temporal module ("meanP" in CLIP4Clip / HBI terms)."""

from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor

from hbi.registry import MODELS


@MODELS.register_module()
class IdentityTemporal(BaseModule):
    """Pass frame features through unchanged.

    CLIP4Clip's / HBI's ``sim_header='meanP'``: no temporal modelling; the
    frame tokens go to the interaction head as the vision tower made them.

    Args:
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - frames: (B, T, D); frame_mask: (B, T), 1 marks a real frame.
        - output: (B, T, D), the same tensor as ``frames``.
    """

    def __init__(self, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)

    def forward(self, frames: Tensor, frame_mask: Tensor) -> Tensor:
        """Return ``frames``; ``frame_mask`` is accepted for a common API."""
        if frame_mask.shape != frames.shape[:2]:
            raise ValueError(
                f'frame_mask: shape {tuple(frame_mask.shape)} '
                f'does not match frames {tuple(frames.shape)}'
            )
        return frames
