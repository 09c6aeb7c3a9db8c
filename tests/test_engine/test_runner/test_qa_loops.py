"""The QA loops' bookkeeping: which prediction is scored, every question
answered once, the vocabulary checked against the model."""

from types import SimpleNamespace

import pytest

from hbi.engine.runner.qa_loops import (
    check_answer_vocabulary,
    gather_records,
    question_results,
)

LABELS = ['cat', 'dog', 'man']
DATASET = SimpleNamespace(
    texts=[
        dict(caption='what?', video_index=0, answer='dog', gt_answer=1),
        dict(
            caption='who?',
            video_index=1,
            answer='woman',
            gt_answer=-1,
            answer_type='who',
        ),
    ],
    videos=[dict(video_id='v0'), dict(video_id='v1')],
    ans2label={'cat': 0, 'dog': 1, 'man': 2},
    ans2label_file='ans.json',
)
BOTH = [
    dict(
        text_index=0,
        pred_answer=1,
        top_answers=[1, 0],
        top_scores=[0.7, 0.2],
        generated='a dog',
    ),
    dict(
        text_index=1,
        pred_answer=2,
        top_answers=[2, 1],
        top_scores=[0.5, 0.4],
        generated='Woman.',
    ),
]


def test_logits_are_scored_by_default_and_text_on_request():
    auto = question_results(BOTH, DATASET, LABELS)
    assert [r['predicted'] for r in auto] == ['dog', 'man']
    assert all('pred_text' not in r for r in auto)
    assert auto[0]['top_answers'] == ['dog', 'cat']
    assert auto[1]['video_id'] == 'v1' and auto[1]['answer_type'] == 'who'
    assert auto[0]['answer_type'] is None  # no type in the file
    text = question_results(BOTH, DATASET, LABELS, 'text')
    assert [r['pred_text'] for r in text] == ['a dog', 'Woman.']
    generated_only = [
        dict(text_index=0, pred_answer=-1, generated='dog'),
    ]
    out = question_results(generated_only, DATASET, LABELS)  # auto: text
    assert out[0]['pred_text'] == 'dog'
    with pytest.raises(ValueError, match='no answer logits'):
        question_results(generated_only, DATASET, LABELS, 'logits')
    with pytest.raises(ValueError, match='no answer text'):
        logits_only = {k: v for k, v in BOTH[0].items() if k != 'generated'}
        question_results([logits_only], DATASET, LABELS, 'text')


def test_every_question_answered_once():
    assert [r['text_index'] for r in gather_records(BOTH[::-1], 2)] == [0, 1]
    with pytest.raises(RuntimeError, match='instead of each of the 3'):
        gather_records(BOTH, 3)


def test_vocabulary_must_match_the_model():
    assert check_answer_vocabulary(SimpleNamespace(), DATASET) == LABELS
    with pytest.raises(ValueError, match='classifies into 5 answers'):
        check_answer_vocabulary(SimpleNamespace(num_answers=5), DATASET)
    with pytest.raises(ValueError, match='need a VideoQADataset'):
        check_answer_vocabulary(SimpleNamespace(), SimpleNamespace())
