"""Bad annotation files a new user meets: bytes that are not UTF-8, a
spreadsheet's byte-order mark, null or numeric captions, captions of videos
the file does not list. Each is named (file, line or entry) or counted."""

import json

import pytest

import hbi.datasets.msrvtt_retrieval as msrvtt_module
from hbi.datasets import (
    read_csv_rows,
    read_json,
    read_jsonl,
    read_text_list,
    read_tsv_rows,
)
from hbi.registry import DATASETS

LATIN1 = 'caf\xe9'.encode('latin-1')  # b'caf\xe9': not UTF-8

READERS = {
    'csv': (
        lambda p: read_csv_rows(p, ('video_id',)),
        b'video_id\nvideo0\n' + LATIN1 + b'\n',
        3,
    ),
    'json': (read_json, b'{"a":\n  "' + LATIN1 + b'"}\n', 2),
    'jsonl': (
        read_jsonl,
        b'{"a": 1}\n{"a": 2}\n{"a": "' + LATIN1 + b'"}\n',
        3,
    ),
    'tsv': (lambda p: read_tsv_rows(p, 2), b'a\tb\n' + LATIN1 + b'\tc\n', 2),
    'txt': (read_text_list, b'video0\nvideo1\nvideo2\n' + LATIN1 + b'\n', 4),
}


@pytest.mark.parametrize('ext', sorted(READERS))
def test_non_utf8_bytes_name_file_and_line(tmp_path, ext):
    reader, data, line = READERS[ext]
    path = tmp_path / f'ann.{ext}'
    path.write_bytes(data)
    with pytest.raises(ValueError) as err:
        reader(str(path))
    msg = str(err.value)
    assert msg.startswith(f'{path}: line {line} column ')
    assert r"b'\xe9'" in msg and 'not UTF-8' in msg


def test_byte_order_mark_is_read(tmp_path):
    csv_path = tmp_path / 'list.csv'
    csv_path.write_bytes(b'\xef\xbb\xbfvideo_id\r\nvideo0\r\nvideo1\r\n')
    assert read_csv_rows(str(csv_path), ('video_id',)) == [
        {'video_id': 'video0'},
        {'video_id': 'video1'},
    ]
    json_path = tmp_path / 'a.json'
    json_path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json(str(json_path)) == {'a': 1}


def _msrvtt(tmp_path, sentences, **kwargs):
    root = tmp_path / 'msrvtt'
    (root / 'videos').mkdir(parents=True, exist_ok=True)
    (root / 'annotations').mkdir(exist_ok=True)
    videos = [
        dict(video_id='video0', split='train'),
        dict(video_id='video1', split='test'),
    ]
    (root / 'annotations' / 'data.json').write_text(
        json.dumps(dict(videos=videos, sentences=sentences))
    )
    return DATASETS.build(
        dict(
            type='MSRVTTRetrievalDataset',
            data_root=str(root),
            ann_file='annotations/data.json',
            **kwargs,
        )
    )


@pytest.mark.parametrize(
    'caption,kind', [(None, 'NoneType None'), (7, 'int 7'), ('  ', 'empty')]
)
def test_null_or_numeric_caption_is_refused_at_load(tmp_path, caption, kind):
    sentences = [
        dict(video_id='video0', caption='a cat'),
        dict(video_id='video1', caption=caption),  # of the other split
    ]
    with pytest.raises(ValueError) as err:
        _msrvtt(tmp_path, sentences, split='train')
    msg = str(err.value)
    assert 'data.json: sentences[1]' in msg and kind in msg


def test_captions_of_unlisted_videos_are_counted(tmp_path, monkeypatch):
    logs = []
    monkeypatch.setattr(
        msrvtt_module, 'print_log', lambda msg, *a, **k: logs.append(msg)
    )
    sentences = [
        dict(video_id='video0', caption='a cat'),
        dict(video_id='video9', caption='a dog'),
        dict(video_id='video0', caption='a small cat'),
        dict(video_id='video8', caption='a bird'),
    ]
    dataset = _msrvtt(tmp_path, sentences, split='train')
    assert [t['caption'] for t in dataset.texts] == ['a cat', 'a small cat']
    assert dataset.num_orphan_captions == 2
    (message,) = logs
    assert '2 captions name a video that is not among its "videos"' in message
    assert "sentences[1] (video_id 'video9')" in message
    with pytest.raises(ValueError, match='2 captions name a video.*video8'):
        _msrvtt(tmp_path, sentences, split='train', orphan_captions='error')
