"""TokenizeText and PackVideoTextInputs."""

import numpy as np
import pytest
import torch

from hbi.datasets.transforms import PackVideoTextInputs, TokenizeText
from hbi.models.tokenizers import CLIPBPETokenizer
from hbi.registry import TRANSFORMS
from hbi.structures.video_text_data_sample import VideoTextDataSample


@pytest.fixture(scope='module')
def tokenize() -> TokenizeText:
    return TRANSFORMS.build(dict(type='TokenizeText', max_length=8))


def test_tokenize_text(tokenize):
    results = tokenize(dict(caption='A dog runs on the grass'))
    ids, mask = CLIPBPETokenizer().encode(['A dog runs on the grass'], 8)
    assert results['input_ids'].shape == (8,)
    assert results['input_ids'].tolist() == ids[0].tolist()
    assert results['attention_mask'].tolist() == mask[0].tolist()
    assert results['input_ids'][0] == 49406
    # 6 words + start + end = 8 tokens, no padding.
    assert results['attention_mask'].tolist() == [1] * 8
    with pytest.raises(ValueError, match='empty'):
        tokenize(dict(caption='  '))


def _imgs(num: int, h: int = 4, w: int = 5) -> list:
    return [np.full((h, w, 3), i + 1, dtype=np.uint8) for i in range(num)]


def test_pack_video_pads_and_masks():
    pack = PackVideoTextInputs(max_frames=5)
    out = pack(
        dict(
            item_modality='video',
            imgs=_imgs(3),
            num_frames=3,
            video_id='video7',
            video_index=2,
            text_index=-1,
            caption='',
            extra='dropped',
        )
    )
    inputs, sample = out['inputs'], out['data_samples']
    assert set(inputs) == {'frames', 'frame_mask'}
    assert inputs['frames'].shape == (5, 3, 4, 5)
    assert inputs['frames'].dtype == torch.uint8
    assert inputs['frames'][:, 0, 0, 0].tolist() == [1, 2, 3, 0, 0]
    assert inputs['frame_mask'].tolist() == [1, 1, 1, 0, 0]
    assert isinstance(sample, VideoTextDataSample)
    assert sample.metainfo == dict(
        video_id='video7',
        video_index=2,
        text_index=-1,
        caption='',
        num_frames=3,
    )


def test_pack_pair_and_text(tokenize):
    pack = PackVideoTextInputs(max_frames=2)
    results = tokenize(
        dict(
            item_modality='pair',
            imgs=_imgs(2),
            caption='a cat',
            video_id='v',
            video_index=0,
            text_index=4,
        )
    )
    out = pack(dict(results))
    assert set(out['inputs']) == {
        'frames',
        'frame_mask',
        'input_ids',
        'attention_mask',
    }
    assert out['inputs']['input_ids'].dtype == torch.int64
    assert out['inputs']['attention_mask'].tolist() == [1] * 4 + [0] * 4
    assert out['data_samples'].text_index == 4
    text_out = pack(dict(results, item_modality='text'))
    assert set(text_out['inputs']) == {'input_ids', 'attention_mask'}


def test_pack_errors():
    pack = PackVideoTextInputs(max_frames=2)
    with pytest.raises(ValueError, match=r"'v': 3 frames, expected 1..2"):
        pack(dict(item_modality='video', imgs=_imgs(3), video_id='v'))
    with pytest.raises(ValueError, match='different shapes.*CenterCrop'):
        pack(
            dict(
                item_modality='video',
                imgs=_imgs(1) + _imgs(1, 5, 5),
                video_id='v',
            )
        )
    with pytest.raises(ValueError, match='item_modality must be one of'):
        pack(dict(item_modality='audio'))
    with pytest.raises(KeyError, match='input_ids'):
        pack(dict(item_modality='text', caption='a'))


def test_tokenize_caption_for_decoder_shifts_by_one():
    transform = TRANSFORMS.build(
        dict(type='TokenizeCaptionForDecoder', max_length=6)
    )
    # 320 = 'a</w>', 1929 = 'dog</w>'.
    out = transform(dict(caption='A dog'))
    assert out['caption_input_ids'].tolist() == [49406, 320, 1929, 49407, 0]
    assert out['caption_target_ids'].tolist() == [320, 1929, 49407, 0, 0]
    # The targets a, dog and the end token are real; the padding is not.
    assert out['caption_mask'].tolist() == [1, 1, 1, 0, 0]
    packed = PackVideoTextInputs(
        text_keys=('caption_input_ids', 'caption_target_ids', 'caption_mask')
    )(dict(out, item_modality='text'))
    assert packed['inputs']['caption_mask'].dtype == torch.int64
    full = transform(dict(caption='a b c d e f g'))  # truncated: end kept
    assert full['caption_target_ids'][-1] == 49407
    assert full['caption_mask'].tolist() == [1] * 5
