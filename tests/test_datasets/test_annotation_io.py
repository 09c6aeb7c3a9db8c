"""Annotation readers on the real shared files and on malformed files."""

import json

import pytest

from hbi.datasets import read_csv_rows, read_json, read_jsonl
from tests.shared_data import MSRVTT  # noqa: E402

QA_FIELDS = ('answer', 'question', 'video_id', 'answer_type')


def test_real_jsfusion_csv():
    rows = read_csv_rows(
        str(MSRVTT / 'MSRVTT_JSFUSION_test.csv'),
        ('key', 'vid_key', 'video_id', 'sentence'),
    )
    assert len(rows) == 1000
    assert rows[0] == dict(
        key='ret0',
        vid_key='msr9770',
        video_id='video9770',
        sentence='a person is connecting something to system',
    )
    assert len({r['video_id'] for r in rows}) == 1000


def test_real_train_9k_list():
    rows = read_csv_rows(str(MSRVTT / 'MSRVTT_train.9k.csv'), ('video_id',))
    ids = [r['video_id'] for r in rows]
    assert len(ids) == len(set(ids)) == 9000
    assert ids[:2] == ['video0', 'video1']


def test_real_qa_jsonl_without_final_newline():
    path = MSRVTT / 'val.jsonl'
    raw = path.read_bytes()
    assert not raw.endswith(b'\n')
    records = read_jsonl(str(path), QA_FIELDS)
    assert len(records) == 12278
    assert records[0] == dict(
        answer='couch',
        question='what are three people sitting on?',
        video_id='video6513',
        answer_type='what',
    )
    assert records[-1] == json.loads(raw.rsplit(b'\n', 1)[-1])


def test_real_json():
    ans2label = read_json(str(MSRVTT / 'train_ans2label.json'))
    assert len(ans2label) == 1500
    assert sorted(ans2label.values()) == list(range(1500))


def test_csv_row_with_wrong_number_of_columns(tmp_path):
    path = tmp_path / 'bad.csv'
    path.write_text(
        'key,video_id,sentence\nr0,video0,a cat\nr1,video1,a dog,extra\n'
    )
    with pytest.raises(
        ValueError, match=r'bad\.csv: line 3: expected 3 columns'
    ):
        read_csv_rows(str(path), ('video_id',))


def test_csv_missing_and_empty_column(tmp_path):
    path = tmp_path / 'ids.csv'
    path.write_text('vid\nvideo0\n')
    with pytest.raises(
        ValueError, match=r"ids\.csv: line 1: .*no column 'video_id'"
    ):
        read_csv_rows(str(path), ('video_id',))
    path.write_text('video_id,split\nvideo0,train\n,test\n')
    with pytest.raises(
        ValueError, match=r"ids\.csv: line 3: column 'video_id' is empty"
    ):
        read_csv_rows(str(path), ('video_id',))
    path.write_text('')
    with pytest.raises(ValueError, match=r'ids\.csv: line 1: empty file'):
        read_csv_rows(str(path), ('video_id',))


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    path = tmp_path / 'q.csv'
    path.write_text('video_id,sentence\nvideo0,"two\nlines"\nvideo1\n')
    with pytest.raises(ValueError, match=r'q\.csv: line 4: expected 2'):
        read_csv_rows(str(path), ('video_id',))


def test_invalid_json_line(tmp_path):
    path = tmp_path / 'qa.jsonl'
    path.write_text(
        '{"question": "q", "answer": "a"}\n\n{"question": "q2", "answer": }\n'
    )
    with pytest.raises(
        ValueError,
        match=r'qa\.jsonl: line 3 column \d+: '
        'invalid JSON',
    ):
        read_jsonl(str(path), ('question',))


def test_jsonl_missing_field_and_non_object(tmp_path):
    path = tmp_path / 'qa.jsonl'
    path.write_text('{"question": "q", "answer": "a"}\n{"question": "q2"}')
    with pytest.raises(
        ValueError, match=r"qa\.jsonl: line 2: missing field 'answer'"
    ):
        read_jsonl(str(path), ('question', 'answer'))
    path.write_text('[1, 2]\n')
    with pytest.raises(
        ValueError,
        match=r'qa\.jsonl: line 1: expected an '
        'object, got list',
    ):
        read_jsonl(str(path), ('question',))


def test_invalid_json_file(tmp_path):
    path = tmp_path / 'data.json'
    path.write_text('{"videos": [\n  {"video_id": "video0",}\n]}')
    with pytest.raises(ValueError, match=r'data\.json: line 2 column \d+'):
        read_json(str(path))


@pytest.mark.parametrize('reader', [read_csv_rows, read_json, read_jsonl])
def test_missing_file(tmp_path, reader):
    with pytest.raises(FileNotFoundError, match=r'nope\.txt'):
        reader(str(tmp_path / 'nope.txt'))
