"""VideoQADataset on the real MSRVTT-QA validation file and vocabulary, on
the synthetic world's QA files, and on malformed files."""

import json
from collections import Counter

import pytest
from video_helpers import REAL_MSRVTT, link_videos

import hbi.datasets.base_video_text_dataset as base_module
import hbi.datasets.video_qa as qa_module
from hbi.datasets import VideoQADataset
from hbi.registry import DATASETS

PIPELINES = dict(
    video_pipeline=[
        dict(type='LoadVideoFrames', max_frames=4),
        dict(type='mmaction.Resize', scale=(-1, 16)),
        dict(type='mmaction.CenterCrop', crop_size=16),
    ],
    text_pipeline=[dict(type='TokenizeText', max_length=20)],
    pack=dict(
        type='PackVideoTextInputs',
        max_frames=4,
        meta_keys=(
            'video_id',
            'video_index',
            'text_index',
            'caption',
            'answer',
            'answer_type',
        ),
    ),
)


@pytest.fixture
def logs(monkeypatch) -> list:
    messages = []
    for module in (base_module, qa_module):
        monkeypatch.setattr(
            module, 'print_log', lambda msg, *a, **k: messages.append(msg)
        )
    return messages


@pytest.fixture(scope='module')
def real_qa():
    """The real file's records and vocabulary, read independently."""
    lines = (REAL_MSRVTT / 'val.jsonl').read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    vocab = json.loads((REAL_MSRVTT / 'train_ans2label.json').read_text())
    return records, vocab


def test_real_msrvtt_qa_val(tmp_path, real_qa, logs):
    records, vocab = real_qa
    known = sum(r['answer'] in vocab for r in records)
    assert (len(records), known) == (12278, 11419)  # 859 out of vocabulary
    video_ids = list(dict.fromkeys(r['video_id'] for r in records))
    assert len(video_ids) == 497  # video6513 ... video7009
    link_videos(tmp_path / 'videos', video_ids[:3])
    ds = DATASETS.build(
        dict(
            type='VideoQADataset',
            data_root=str(tmp_path),
            ann_file=str(REAL_MSRVTT / 'val.jsonl'),
            ans2label_file=str(REAL_MSRVTT / 'train_ans2label.json'),
            test_mode=True,
            **PIPELINES,
        )
    )
    assert isinstance(ds, VideoQADataset)
    assert len(ds) == 12278 and len(ds.videos) == 497
    assert ds.num_unknown_answers == 859
    gt = [t['gt_answer'] for t in ds.texts]
    assert sum(g >= 0 for g in gt) == 11419 and gt.count(-1) == 859
    # Texts are grouped by video (first-mention order); compare per video.
    by_video = Counter(
        (r['video_id'], r['question'], r['answer'], vocab.get(r['answer'], -1))
        for r in records
    )
    ours = Counter(
        (
            ds.videos[t['video_index']]['video_id'],
            t['caption'],
            t['answer'],
            t['gt_answer'],
        )
        for t in ds.texts
    )
    assert ours == by_video
    assert any('859 answers of' in m and 'count as wrong' in m for m in logs)
    assert any('494 of 497 videos' in m for m in logs)  # missing, once
    oov = next(i for i, t in enumerate(ds.texts) if t['gt_answer'] == -1)
    for index in (0, oov):
        item = ds[index]
        sample = item['data_samples']
        assert sample.caption == ds.texts[index]['caption']
        assert sample.gt_answer == ds.texts[index]['gt_answer']
        assert 'gt_answer' in sample.keys()  # a data field, not meta
        assert 'gt_answer' not in sample.metainfo_keys()
        assert item['inputs']['input_ids'][0] == 49406
        assert item['inputs']['frames'].shape == (4, 3, 16, 16)
    first = ds[0]['data_samples']
    assert (
        first.caption,
        first.answer,
        first.gt_answer,
        first.answer_type,
    ) == ('what are three people sitting on?', 'couch', vocab['couch'], 'what')
    assert ds[oov]['data_samples'].gt_answer == -1
    dropped = VideoQADataset(
        data_root=str(tmp_path),
        ann_file=str(REAL_MSRVTT / 'val.jsonl'),
        ans2label_file=str(REAL_MSRVTT / 'train_ans2label.json'),
        drop_unknown_answers=True,
    )
    assert len(dropped) == 11419
    assert min(t['gt_answer'] for t in dropped.texts) >= 0


def test_synthetic_world_qa(synthetic_world):
    ann = synthetic_world / 'annotations'
    vocab = json.loads((ann / 'qa_ans2label.json').read_text())
    records = [
        json.loads(line)
        for line in (ann / 'qa_test.jsonl').read_text().splitlines()
    ]
    ds = VideoQADataset(
        data_root=str(synthetic_world),
        ann_file='annotations/qa_test.jsonl',
        ans2label_file='annotations/qa_ans2label.json',
        test_mode=True,
        **PIPELINES,
    )
    assert len(ds) == len(records) and ds.missing_video_ids == []
    assert [t['gt_answer'] for t in ds.texts] == [
        vocab.get(r['answer'], -1) for r in records
    ]
    item = ds[len(ds) - 1]
    assert item['data_samples'].video_id == records[-1]['video_id']
    assert item['inputs']['frame_mask'].sum() == 4


@pytest.mark.parametrize(
    'line, message',
    [
        (
            '{"question": "what?", "video_id": "v0"}',
            "line 2: missing field 'answer'",
        ),
        (
            '{"question": " ", "answer": "a", "video_id": "v0"}',
            "line 2: field 'question' is empty",
        ),
        (
            '{"question": "who?", "answer": 3, "video_id": "v0"}',
            "line 2: field 'answer' must be a string",
        ),
        (
            '{"question": "who?", "answer": "a", "video_id": "v0"',
            'line 2 column '
            r'\d+: invalid JSON',
        ),
    ],
)
def test_malformed_qa_line(tmp_path, line, message):
    (tmp_path / 'qa.jsonl').write_text(
        '{"question": "what?", "answer": "a", "video_id": "v0"}\n' + line
    )
    (tmp_path / 'ans.json').write_text('{"a": 0}')
    with pytest.raises(ValueError, match=rf'qa\.jsonl: {message}'):
        VideoQADataset(
            data_root=str(tmp_path),
            ann_file='qa.jsonl',
            ans2label_file='ans.json',
        )


@pytest.mark.parametrize(
    'text, message',
    [
        (
            '{\n  "a": 0,\n  "b": 1,\n  "c": 0\n}',
            r"line 4: answers 'a' \(line 2\) and 'c' share the index 0",
        ),
        (
            '{"a": 0,\n"b": 1,\n"a": 2}',
            r"line 3: answer 'a' is listed twice \(first on line 1\)",
        ),
        ('{"a": 0,\n"b": 5}', r"line 2: answer 'b' has index 5; the 2 "),
        ('{"a": 0, "b": "1"}', 'expected an object'),
        ('["a", "b"]', 'expected an object'),
        ('{}', 'lists no answer'),
    ],
)
def test_bad_vocabulary_names_file_and_line(tmp_path, text, message):
    (tmp_path / 'qa.jsonl').write_text(
        '{"question": "what?", "answer": "a", "video_id": 7}\n'
    )
    (tmp_path / 'bad.json').write_text(text)
    with pytest.raises(ValueError, match=rf'bad\.json: (.*){message}'):
        VideoQADataset(
            data_root=str(tmp_path),
            ann_file='qa.jsonl',
            ans2label_file='bad.json',
        )


def test_questions_about_missing_videos(tmp_path, logs):
    """Counted and named at start-up (file and lines), or an error."""
    (tmp_path / 'videos').mkdir()
    (tmp_path / 'videos' / 'v0.mp4').write_bytes(b'x')
    (tmp_path / 'qa.jsonl').write_text(
        '\n'.join(
            json.dumps(dict(question=q, answer='a', video_id=v))
            for q, v in [
                ('q1?', 'v0'),
                ('q2?', 'v9'),
                ('q3?', 'v0'),
                ('q4?', 'v9'),
                ('q5?', 'v8'),
            ]
        )
    )
    (tmp_path / 'ans.json').write_text('{"a": 0}')
    kwargs = dict(
        data_root=str(tmp_path), ann_file='qa.jsonl', ans2label_file='ans.json'
    )
    ds = VideoQADataset(**kwargs)
    assert ds.missing_video_ids == ['v9', 'v8']
    assert any(
        'qa.jsonl: 3 questions ask about 2 videos missing under' in m
        and "e.g. 'v9' (line 2); lines [2, 4, 5]" in m
        for m in logs
    )
    with pytest.raises(FileNotFoundError, match=r'qa\.jsonl: 3 questions'):
        VideoQADataset(missing_videos='error', **kwargs)
    with pytest.raises(ValueError, match='missing_videos must be one of'):
        VideoQADataset(missing_videos='skip', **kwargs)


def test_bad_vocabulary(tmp_path):
    (tmp_path / 'qa.jsonl').write_text(
        '{"question": "what?", "answer": "a", "video_id": 7}\n'
    )
    with pytest.raises(ValueError, match='needs ans2label_file'):
        VideoQADataset(data_root=str(tmp_path), ann_file='qa.jsonl')
    (tmp_path / 'ok.json').write_text('{"a": 0}')
    ds = VideoQADataset(
        data_root=str(tmp_path), ann_file='qa.jsonl', ans2label_file='ok.json'
    )
    assert ds.videos[0]['video_id'] == '7'  # MSVD-QA's numeric ids
