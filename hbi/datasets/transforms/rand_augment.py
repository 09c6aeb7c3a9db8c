"""RandAugment on a video, the same operations on every frame: the release's
MSR-VTT training augmentation (``rand-m7-n4-mstd0.5-inc1``).

The release takes timm's RandAugment (through SlowFast's video version);
timm needs torchvision, which is not a dependency here, so the operations
are written again on Pillow, from timm's definitions: ``num_ops``
operations drawn uniformly with replacement, each applied with probability
``prob`` at a magnitude drawn from N(``magnitude``, ``magnitude_std``)
clipped to [0, 10], with one random sign; an operation's draw is shared by
all frames of the video, so the clip stays temporally consistent.
"""

from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageEnhance, ImageOps

from hbi.registry import TRANSFORMS

_MAX_LEVEL = 10.0
Op = Callable[[Image.Image, float, dict], Image.Image]


def _affine(image: Image.Image, matrix: tuple, kw: dict) -> Image.Image:
    return image.transform(image.size, Image.Transform.AFFINE, matrix, **kw)


def _solarize_add(image: Image.Image, add: int) -> Image.Image:
    lut = [min(255, i + add) if i < 128 else i for i in range(256)]
    return image.point(lut * len(image.getbands()))


# name -> (operation on (image, signed level in [-1, 1], affine kwargs),
#          whether the level's sign is random). ``level`` = magnitude / 10.
_OPS: Dict[str, Tuple[Op, bool]] = {
    'AutoContrast': (lambda im, v, kw: ImageOps.autocontrast(im), False),
    'Equalize': (lambda im, v, kw: ImageOps.equalize(im), False),
    'Invert': (lambda im, v, kw: ImageOps.invert(im), False),
    'Rotate': (lambda im, v, kw: im.rotate(30.0 * v, **kw), True),
    # keeps 4 down to 0 most significant bits as the magnitude grows
    'PosterizeIncreasing': (
        lambda im, v, kw: ImageOps.posterize(im, 4 - int(4 * v)),
        False,
    ),
    # threshold 256 down to 0 as the magnitude grows
    'SolarizeIncreasing': (
        lambda im, v, kw: ImageOps.solarize(im, 256 - int(256 * v)),
        False,
    ),
    'SolarizeAdd': (lambda im, v, kw: _solarize_add(im, int(110 * v)), False),
    **{
        f'{name}Increasing': (
            # factor 1 + 0.9 level: no change at magnitude 0
            lambda im, v, kw, enhance=enhance: enhance(im).enhance(
                1 + 0.9 * v
            ),
            True,
        )
        for name, enhance in (
            ('Color', ImageEnhance.Color),
            ('Contrast', ImageEnhance.Contrast),
            ('Brightness', ImageEnhance.Brightness),
            ('Sharpness', ImageEnhance.Sharpness),
        )
    },
    'ShearX': (
        lambda im, v, kw: _affine(im, (1, 0.3 * v, 0, 0, 1, 0), kw),
        True,
    ),
    'ShearY': (
        lambda im, v, kw: _affine(im, (1, 0, 0, 0.3 * v, 1, 0), kw),
        True,
    ),
    'TranslateXRel': (
        lambda im, v, kw: _affine(
            im, (1, 0, 0.45 * v * im.size[0], 0, 1, 0), kw
        ),
        True,
    ),
    'TranslateYRel': (
        lambda im, v, kw: _affine(
            im, (1, 0, 0, 0, 1, 0.45 * v * im.size[1]), kw
        ),
        True,
    ),
}
#: timm's "increasing" set (``inc1``), the release's.
INCREASING_OPS = tuple(_OPS)


@TRANSFORMS.register_module()
class VideoRandAugment(BaseTransform):
    """RandAugment with one draw per video, applied to every frame.

    The defaults are the release's ``rand-m7-n4-mstd0.5-inc1`` with its
    hyper-parameters (bicubic resampling, grey fill (128, 128, 128),
    translation up to 45% of the frame), applied to the decoded frames
    before resizing, as the release does.

    **Required Keys:** ``imgs`` (list of HxWx3 uint8 RGB)

    **Modified Keys:** ``imgs``

    Args:
        magnitude (float): Mean magnitude, in [0, 10]. Defaults to 7.
        num_ops (int): Operations drawn per video (with replacement).
            Defaults to 4.
        magnitude_std (float): Std of the magnitude's normal draw (per
            operation and video). Defaults to 0.5.
        prob (float): Probability of applying each drawn operation.
            Defaults to 0.5.
        ops (Sequence[str]): Names to draw from. Defaults to
            :data:`INCREASING_OPS`.
        fill (tuple[int, int, int]): Colour of uncovered pixels of the
            geometric operations. Defaults to (128, 128, 128).
        seed (int, optional): Seed of a private generator (tests); None
            draws from numpy's global generator, seeded per DataLoader
            worker. Defaults to None.

    Shape:
        - ``imgs``: unchanged sizes, uint8.
    """

    def __init__(
        self,
        magnitude: float = 7.0,
        num_ops: int = 4,
        magnitude_std: float = 0.5,
        prob: float = 0.5,
        ops: Sequence[str] = INCREASING_OPS,
        fill: Tuple[int, int, int] = (128, 128, 128),
        seed: Optional[int] = None,
    ) -> None:
        unknown = [name for name in ops if name not in _OPS]
        if unknown or not ops:
            raise ValueError(
                f'VideoRandAugment: unknown ops {unknown}; choose from '
                f'{list(_OPS)}'
            )
        if not 0 <= magnitude <= _MAX_LEVEL:
            raise ValueError(f'magnitude must be in [0, 10], got {magnitude}')
        self.magnitude, self.num_ops = magnitude, num_ops
        self.magnitude_std, self.prob = magnitude_std, prob
        self.ops, self.fill = tuple(ops), tuple(fill)
        self.rng = None if seed is None else np.random.default_rng(seed)

    def draw(self, rng: np.random.Generator) -> list:
        """The (name, signed level) of each operation applied to a video."""
        drawn = []
        for index in rng.integers(len(self.ops), size=self.num_ops):
            name = self.ops[int(index)]
            apply, sign = rng.random(2)
            if apply >= self.prob:
                continue
            magnitude = self.magnitude
            if self.magnitude_std > 0:
                magnitude = rng.normal(self.magnitude, self.magnitude_std)
            level = min(_MAX_LEVEL, max(0.0, magnitude)) / _MAX_LEVEL
            if _OPS[name][1] and sign < 0.5:
                level = -level
            drawn.append((name, level))
        return drawn

    def transform(self, results: dict) -> dict:
        rng = self.rng or np.random.default_rng(
            np.random.randint(0, 2**31 - 1)
        )
        kw = dict(resample=Image.Resampling.BICUBIC, fillcolor=self.fill)
        images = [Image.fromarray(frame) for frame in results['imgs']]
        for name, level in self.draw(rng):
            images = [_OPS[name][0](image, level, kw) for image in images]
        results['imgs'] = [np.asarray(image) for image in images]
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(magnitude={self.magnitude}, '
            f'num_ops={self.num_ops}, magnitude_std={self.magnitude_std}, '
            f'prob={self.prob}, ops={self.ops})'
        )
