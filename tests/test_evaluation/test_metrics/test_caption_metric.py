"""CaptionMetric: what it reads from data samples and passes on."""

import pytest

from hbi.evaluation.metrics import CaptionMetric, caption_metric
from hbi.registry import METRICS
from hbi.structures import VideoTextDataSample


def _sample(video_id, pred, refs):
    sample = VideoTextDataSample(metainfo=dict(video_id=video_id))
    sample.set_field(pred, 'pred_caption', field_type='data')
    sample.set_field(refs, 'gt_captions', field_type='data')
    return sample


def test_reads_samples_scores_each_video_once(monkeypatch):
    seen = {}

    def fake_scores(predictions, references):
        seen.update(predictions=predictions, references=references)
        return {'CIDEr': 12.5}

    monkeypatch.setattr(caption_metric, 'caption_scores', fake_scores)
    metric = METRICS.build(dict(type='CaptionMetric'))
    metric.process(
        None,
        [
            _sample('v1', 'a dog', ['a dog runs', 'a dog']),
            _sample('v2', '', ['a cat']).to_dict(),  # as mmengine passes
        ],
    )
    # A distributed sampler's padding repeats a video: scored once.
    metric.process(None, [_sample('v1', 'a dog', ['a dog runs', 'a dog'])])
    assert metric.evaluate(3) == {'caption/CIDEr': 12.5}
    assert seen['predictions'] == {'v1': 'a dog', 'v2': ''}
    assert seen['references'] == {
        'v1': ['a dog runs', 'a dog'],
        'v2': ['a cat'],
    }


def test_a_video_without_references_is_named():
    metric = CaptionMetric()
    with pytest.raises(ValueError, match="video 'v7' has no reference"):
        metric.process(None, [_sample('v7', 'a dog', [])])
