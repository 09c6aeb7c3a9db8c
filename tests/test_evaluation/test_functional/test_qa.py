import pytest
from mmengine.evaluator import Evaluator

from hbi.evaluation.functional import qa_accuracy
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


def test_bad_shapes():
    with pytest.raises(ValueError, match='equal'):
        qa_accuracy([1, 2], [1])


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
