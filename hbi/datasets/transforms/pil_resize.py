"""CLIP's frame preprocessing as the release computes it: torchvision's
``Resize(size, BICUBIC)`` and ``CenterCrop(size)`` on PIL images.

torchvision is not a dependency (PyPI's wheels pin their own torch), so the
two steps are written here on Pillow, which is what torchvision runs on a
PIL image: ``Image.resize((w, h), BICUBIC)``, Pillow's antialiased bicubic
(its filter widens with the downscale factor), unlike OpenCV's
``INTER_CUBIC`` (``mmaction.Resize``), which samples a fixed 4x4
neighbourhood and aliases when shrinking.
"""

from typing import Literal

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from hbi.registry import TRANSFORMS

_RESAMPLE = {
    'bicubic': Image.Resampling.BICUBIC,
    'bilinear': Image.Resampling.BILINEAR,
}


def torchvision_resize_shape(
    height: int, width: int, size: int
) -> tuple[int, int]:
    """(H, W) that torchvision's ``Resize(size)`` (an int) gives: the
    shorter side becomes ``size``, the longer ``int(size * long / short)``
    (truncated)."""
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def torchvision_center_crop_offsets(
    height: int, width: int, size: int
) -> tuple[int, int]:
    """(top, left) of torchvision's ``CenterCrop(size)``:
    ``int(round((H - size) / 2))``, Python's round (half to even)."""
    return int(round((height - size) / 2.0)), int(round((width - size) / 2.0))


@TRANSFORMS.register_module()
class PILResizeCenterCrop(BaseTransform):
    """Resize each frame's shorter side to ``size`` with Pillow, then take
    the centre ``size`` x ``size`` crop, both as torchvision computes them
    on PIL images (the release's frame preprocessing,
    ``docs/en/methods/hbi.md`` A1).

    **Required Keys:** ``imgs`` (list of HxWx3 uint8 RGB, one size)

    **Modified Keys:** ``imgs``, ``img_shape``

    Args:
        size (int): Shorter side after resizing, and crop size. Defaults to
            224.
        interpolation (str): ``'bicubic'`` (released) or ``'bilinear'``.
            Defaults to ``'bicubic'``.

    Shape:
        - ``imgs``: ``num_frames`` arrays of [size, size, 3] uint8.
    """

    def __init__(
        self,
        size: int = 224,
        interpolation: Literal['bicubic', 'bilinear'] = 'bicubic',
    ) -> None:
        if interpolation not in _RESAMPLE:
            raise ValueError(
                f'interpolation must be one of {sorted(_RESAMPLE)}, '
                f'got {interpolation!r}'
            )
        self.size = size
        self.interpolation = interpolation

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        new_h, new_w = torchvision_resize_shape(height, width, self.size)
        image = Image.fromarray(frame)
        if (new_h, new_w) != (height, width):
            image = image.resize(
                (new_w, new_h), resample=_RESAMPLE[self.interpolation]
            )
        top, left = torchvision_center_crop_offsets(new_h, new_w, self.size)
        image = image.crop((left, top, left + self.size, top + self.size))
        return np.asarray(image.convert('RGB'))

    def transform(self, results: dict) -> dict:
        results['imgs'] = [self._frame(frame) for frame in results['imgs']]
        results['img_shape'] = (self.size, self.size)
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(size={self.size}, '
            f'interpolation={self.interpolation!r})'
        )
