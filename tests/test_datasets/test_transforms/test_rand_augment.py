"""VideoRandAugment: timm's RandAugment operations (written here from their
definitions with Pillow), one draw per video applied to every frame."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from hbi.datasets.transforms import VideoRandAugment
from hbi.datasets.transforms.rand_augment import INCREASING_OPS

FILL = (128, 128, 128)
AFFINE = dict(resample=Image.BICUBIC, fillcolor=FILL)


def frames(num=3, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    # different frames, so that "the same operation on every frame" is not
    # "the same output for every frame"
    return [np.roll(base, 3 * i, axis=1) for i in range(num)]


def expected(name: str, image: Image.Image, m: float, sign: int):
    """timm's operation ``name`` at magnitude m (0..10), sign +-1."""
    level = m / 10
    w, h = image.size
    affine = lambda matrix: image.transform(  # noqa: E731
        image.size, Image.AFFINE, matrix, **AFFINE
    )
    return {
        'AutoContrast': lambda: ImageOps.autocontrast(image),
        'Equalize': lambda: ImageOps.equalize(image),
        'Invert': lambda: ImageOps.invert(image),
        'Rotate': lambda: image.rotate(sign * 30 * level, **AFFINE),
        'PosterizeIncreasing': lambda: ImageOps.posterize(
            image, 4 - int(4 * level)
        ),
        'SolarizeIncreasing': lambda: ImageOps.solarize(
            image, 256 - int(256 * level)
        ),
        'SolarizeAdd': lambda: image.point(
            [
                min(255, i + int(110 * level)) if i < 128 else i
                for i in range(256)
            ]
            * 3
        ),
        'ColorIncreasing': lambda: ImageEnhance.Color(image).enhance(
            1 + sign * 0.9 * level
        ),
        'ContrastIncreasing': lambda: ImageEnhance.Contrast(image).enhance(
            1 + sign * 0.9 * level
        ),
        'BrightnessIncreasing': lambda: ImageEnhance.Brightness(image).enhance(
            1 + sign * 0.9 * level
        ),
        'SharpnessIncreasing': lambda: ImageEnhance.Sharpness(image).enhance(
            1 + sign * 0.9 * level
        ),
        'ShearX': lambda: affine((1, sign * 0.3 * level, 0, 0, 1, 0)),
        'ShearY': lambda: affine((1, 0, 0, sign * 0.3 * level, 1, 0)),
        'TranslateXRel': lambda: affine(
            (1, 0, sign * 0.45 * level * w, 0, 1, 0)
        ),
        'TranslateYRel': lambda: affine(
            (1, 0, 0, 0, 1, sign * 0.45 * level * h)
        ),
    }[name]()


def test_the_release_operation_set():
    assert len(INCREASING_OPS) == 15
    assert {'Invert', 'PosterizeIncreasing', 'TranslateYRel'} <= set(
        INCREASING_OPS
    )


@pytest.mark.parametrize('name', INCREASING_OPS)
def test_each_operation_on_every_frame(name):
    """One operation, always applied, fixed magnitude 7: each output frame
    is the operation on that frame, with one sign for the whole video."""
    video = frames()
    augment = VideoRandAugment(
        magnitude=7, num_ops=1, magnitude_std=0, prob=1.0, ops=(name,), seed=3
    )
    out = augment(dict(imgs=list(video)))['imgs']
    matches = [
        sign
        for sign in (1, -1)
        if all(
            np.array_equal(
                o, np.asarray(expected(name, Image.fromarray(f), 7, sign))
            )
            for o, f in zip(out, video)
        )
    ]
    assert matches, name
    assert all(
        o.shape == f.shape and o.dtype == np.uint8 for o, f in zip(out, video)
    )


def test_draws_follow_the_release_parameters():
    """rand-m7-n4-mstd0.5: 4 draws per video with replacement, each kept with
    probability 0.5, magnitude N(7, 0.5), a random sign where the operation
    has one."""
    augment = VideoRandAugment(seed=0)
    draws = [augment.draw(augment.rng) for _ in range(4000)]
    counts = np.array([len(d) for d in draws])
    assert counts.max() == 4 and counts.min() == 0
    assert counts.mean() == pytest.approx(2.0, abs=0.06)
    levels = np.array([abs(v) for d in draws for _, v in d])
    assert levels.mean() * 10 == pytest.approx(7.0, abs=0.03)
    assert levels.std() * 10 == pytest.approx(0.5, abs=0.03)
    names = [n for d in draws for n, _ in d]
    assert set(names) == set(INCREASING_OPS)
    signed = [v for d in draws for n, v in d if n == 'Rotate']
    assert 0.4 < np.mean(np.array(signed) < 0) < 0.6
    unsigned = [v for d in draws for n, v in d if n == 'Invert']
    assert min(unsigned) > 0


def test_seeded_runs_repeat_and_bad_arguments_fail():
    one = VideoRandAugment(seed=5)(dict(imgs=frames()))['imgs']
    two = VideoRandAugment(seed=5)(dict(imgs=frames()))['imgs']
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    with pytest.raises(ValueError, match='unknown ops'):
        VideoRandAugment(ops=('Cutout',))
    with pytest.raises(ValueError, match='magnitude'):
        VideoRandAugment(magnitude=12)
