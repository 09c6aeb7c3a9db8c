import math

import pytest
from mmengine.evaluator import Evaluator

from hbi.evaluation.functional import (
    format_qa_rows,
    format_qa_table,
    normalize_answer,
    prior_answers,
    qa_accuracy,
)
from hbi.structures import VideoTextDataSample


def test_accuracy_counts_out_of_vocabulary_as_wrong():
    # 4 questions: right, wrong, OOV (pred 0 must not match), right
    out = qa_accuracy(
        [3, 1, 0, 2], [3, 2, -1, 2], ['what', 'what', 'who', 'who']
    )
    assert out['acc'] == pytest.approx(50.0)
    assert out['oov_rate'] == pytest.approx(25.0)
    assert out['acc/what'] == pytest.approx(50.0)
    assert out['acc/who'] == pytest.approx(50.0)


def test_both_protocols_side_by_side():
    """Standard: OOV questions count (as wrong); the loaders' protocol
    leaves them out, so it divides by fewer questions."""
    pred = [1, 2, 3, 4, 0, 5]
    gt = [1, 2, -1, 9, -1, 5]
    types = ['what', 'who', 'what', 'how', 'who', 'how']
    out = qa_accuracy(pred, gt, types)
    assert out['acc'] == pytest.approx(3 / 6 * 100)
    assert out['acc_excl_oov'] == pytest.approx(3 / 4 * 100)
    assert out['acc/what'] == pytest.approx(50.0)  # 1 of 2
    assert out['acc_excl_oov/what'] == pytest.approx(100.0)  # 1 of 1
    assert out['acc_excl_oov/who'] == pytest.approx(100.0)
    assert out['acc_excl_oov/how'] == pytest.approx(50.0)
    assert (out['num_questions'], out['num_oov']) == (6, 2)
    # a type whose every answer is out of vocabulary has no second figure
    only_oov = qa_accuracy([0, 1], [-1, 1], ['where', 'what'])
    assert math.isnan(only_oov['acc_excl_oov/where'])


def test_table_names_both_protocols_and_orders_types():
    out = qa_accuracy(
        [1, 2, 3, 0], [1, -1, 3, 4], ['which', 'what', 'who', 'what']
    )
    lines = format_qa_table({f'qa/{k}': v for k, v in out.items()})
    lines = lines.splitlines()
    header = [c.strip() for c in lines[0].split('|')]
    assert header == ['protocol', 'n', 'acc', 'what', 'who', 'which']
    standard = [c.strip() for c in lines[2].split('|')]
    left_out = [c.strip() for c in lines[3].split('|')]
    assert (
        standard[0].startswith('all questions') and 'standard' in standard[0]
    )
    assert 'left out' in left_out[0]
    assert standard[1:4] == ['4', '50.0', '0.0']
    assert left_out[1:4] == ['3', '66.7', '0.0']


def test_correct_flags_override_index_comparison():
    out = qa_accuracy([-1, -1, -1], [0, -1, 2], correct=[True, True, False])
    assert out['acc'] == pytest.approx(200 / 3)
    assert out['acc_excl_oov'] == pytest.approx(50.0)


def test_bad_shapes():
    with pytest.raises(ValueError, match='equal'):
        qa_accuracy([1, 2], [1])
    with pytest.raises(ValueError, match='correct has shape'):
        qa_accuracy([1, 2], [1, 2], correct=[True])


@pytest.mark.parametrize(
    'raw, expected',
    [
        ('The Man', 'man'),
        ('a  red, car!', 'red car'),
        ('An apple.', 'apple'),
        ('theatre', 'theatre'),  # article only as a whole word
        ('  Two  ', 'two'),
    ],
)
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_prior_answers():
    train_q = ['what?', 'what?', 'who?', 'What ?', 'how many?']
    train_a = ['cat', 'dog', 'man', 'dog', 'two']
    out = prior_answers(train_q, train_a, ['what?', 'who?', 'new?'])
    assert out['majority'] == ['dog'] * 3  # 2 votes, seen before 'cat'
    # 'What ?' normalises to 'what' like 'what?': dog 2, cat 1
    assert out['question_only'] == ['dog', 'man', 'dog']
    tie = prior_answers(['q', 'q'], ['b', 'a'], ['q'])
    assert tie['question_only'] == ['b']  # first seen wins a tie
    with pytest.raises(ValueError, match='as many training answers'):
        prior_answers(['q'], [], ['q'])


def test_metric_through_mmengine_evaluator():
    evaluator = Evaluator(dict(type='hbi.VideoQAAccuracy'))
    samples = []
    for pred, gt in [(1, 1), (2, 0), (5, -1)]:
        s = VideoTextDataSample()
        s.set_field(pred, 'pred_answer')
        s.set_field(gt, 'gt_answer')
        samples.append(s)
    evaluator.process(samples)
    metrics = evaluator.evaluate(3)
    assert metrics['qa/acc'] == pytest.approx(100 / 3)
    assert metrics['qa/acc_excl_oov'] == pytest.approx(50.0)


def test_metric_scores_generated_answers_by_normalised_text():
    evaluator = Evaluator(dict(type='hbi.VideoQAAccuracy'))
    evaluator.process(
        [
            dict(pred_text='The Dog.', answer='dog', gt_answer=3),
            dict(pred_text='a cat', answer='kitten', gt_answer=-1),
            dict(pred_text='kitten', answer='kitten', gt_answer=-1),
        ]
    )
    metrics = evaluator.evaluate(3)
    assert metrics['qa/acc'] == pytest.approx(200 / 3)  # generation can
    assert metrics['qa/acc_excl_oov'] == pytest.approx(100.0)  # hit OOV
    with pytest.raises(ValueError, match='needs the true answer'):
        evaluator.process([dict(pred_text='x', gt_answer=1)])


def test_rows_table_compares_models():
    rows = {
        'model A': {'qa/acc': 41.25, 'qa/acc/what': 40.0, 'qa/acc/how': 50.0},
        'majority': {'acc': 6.6, 'acc/what': 10.0},
    }
    lines = format_qa_rows(rows).splitlines()
    assert [c.strip() for c in lines[0].split('|')] == [
        'model',
        'acc',
        'what',
        'how',
    ]
    assert [c.strip() for c in lines[2].split('|')] == [
        'model A',
        '41.2',
        '40.0',
        '50.0',
    ]
    assert [c.strip() for c in lines[3].split('|')][-1] == '-'
