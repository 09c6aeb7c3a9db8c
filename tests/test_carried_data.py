"""The files under ``tests/data/`` are what the tests say they are, and,
where the project's development data folder is present, exact copies of it.
"""

import gzip
import json

import pytest

from tests.shared_data import CARRIED_MSRVTT, LAYOUTS, MSRVTT, SHARED


def test_layouts_hold_the_three_checkpoints():
    layouts = json.loads(LAYOUTS.read_text())
    assert set(layouts) == {
        'about',
        'openai_clip_vit_b32',
        'hbi_retrieval_vit_b32',
        'hbi_msrvtt_qa_vit_b16',
    }
    assert layouts['openai_clip_vit_b32']['visual.proj'] == [768, 512]
    # ViT-B/16: 14 x 14 patches + the class token.
    qa = layouts['hbi_msrvtt_qa_vit_b16']
    assert qa['clip.visual.positional_embedding'] == [197, 768]


def test_unpacked_folder_has_every_file_uncompressed():
    names = {p.name for p in MSRVTT.iterdir()}
    assert names == {
        'MSRVTT_JSFUSION_test.csv',
        'MSRVTT_train.9k.csv',
        'train_ans2label.json',
        'val.jsonl',
    }
    packed = gzip.decompress((CARRIED_MSRVTT / 'val.jsonl.gz').read_bytes())
    assert (MSRVTT / 'val.jsonl').read_bytes() == packed


@pytest.mark.parametrize(
    'ours, original',
    [
        (LAYOUTS, 'reference/checkpoint_layouts.json'),
        *(
            (MSRVTT / name, f'data/msrvtt/{name}')
            for name in (
                'MSRVTT_JSFUSION_test.csv',
                'MSRVTT_train.9k.csv',
                'train_ans2label.json',
                'val.jsonl',
            )
        ),
    ],
    ids=lambda v: getattr(v, 'name', v),
)
def test_copies_equal_the_development_data(ours, original):
    if SHARED is None:
        pytest.skip(
            'no development data folder ($HBI_SHARED_DIR or ../shared) to '
            'compare the carried copies with'
        )
    assert ours.read_bytes() == (SHARED / original).read_bytes()
