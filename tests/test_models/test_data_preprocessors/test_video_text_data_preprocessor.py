import pytest
import torch

from hbi.models.data_preprocessors import (
    CLIP_MEAN,
    CLIP_STD,
    VideoTextDataPreprocessor,
)


def test_stacks_and_normalises_like_clip():
    frames = [
        torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
        for _ in range(2)
    ]
    data = dict(
        inputs=dict(
            frames=frames,
            frame_mask=[torch.ones(4), torch.ones(4)],
            input_ids=[torch.arange(5), torch.arange(5)],
            attention_mask=[torch.ones(5)] * 2,
        ),
        data_samples=['a', 'b'],
    )
    out = VideoTextDataPreprocessor()(data)
    x = out['inputs']['frames']
    assert x.shape == (2, 4, 3, 8, 8) and x.dtype == torch.float32
    c = 1
    expected = (frames[1][2, c].float() / 255 - CLIP_MEAN[c]) / CLIP_STD[c]
    assert torch.allclose(x[1, 2, c], expected, atol=1e-5)
    assert out['inputs']['input_ids'].shape == (2, 5)
    assert out['data_samples'] == ['a', 'b']


def test_text_only_batch_and_bad_frames():
    pre = VideoTextDataPreprocessor()
    out = pre(
        dict(
            inputs=dict(
                input_ids=torch.zeros(3, 4, dtype=torch.long),
                attention_mask=torch.ones(3, 4),
            )
        )
    )
    assert set(out['inputs']) == {'input_ids', 'attention_mask'}
    with pytest.raises(ValueError, match=r'\[B, T, 3, H, W\]'):
        pre(dict(inputs=dict(frames=torch.zeros(2, 3, 8, 8))))
