"""Timestamped segments through datasets, frame sampling, packing and the
data preprocessor (multi-level alignment's segment level)."""

import json

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from video_helpers import link_videos

import hbi.datasets.segments as segments_module
import hbi.models  # noqa: F401  (registers the data preprocessor)
from hbi.datasets import (
    ActivityNetRetrievalDataset,
    DiDeMoRetrievalDataset,
    MSRVTTRetrievalDataset,
)
from hbi.datasets.transforms import sample_frame_indices
from hbi.registry import MODELS, TRANSFORMS

SEGMENT_PIPELINES = dict(
    video_pipeline=[
        dict(type='LoadVideoFrames', max_frames=4, segment_frames=3),
        dict(type='mmaction.Resize', scale=(-1, 16)),
        dict(type='mmaction.CenterCrop', crop_size=16),
        dict(type='TokenizeSegments', max_length=12),
    ],
    text_pipeline=[dict(type='TokenizeText', max_length=12)],
    pack=dict(type='PackVideoTextInputs', max_frames=4),
)


@pytest.fixture
def logs(monkeypatch) -> list:
    messages = []
    monkeypatch.setattr(
        segments_module, 'print_log', lambda msg, *a, **k: messages.append(msg)
    )
    return messages


def _activitynet(root, entries, **kwargs):
    (root / 'train.json').write_text(json.dumps(entries))
    link_videos(root / 'videos', entries, source='bikes.mp4')  # 10 s
    return ActivityNetRetrievalDataset(
        data_root=str(root), ann_file='train.json', **kwargs
    )


def test_activitynet_keeps_its_timestamps(tmp_path, logs):
    ds = _activitynet(
        tmp_path,
        {
            'a': dict(
                duration=10.0,
                timestamps=[[0, 4], [3.5, 10.4], [12, 14]],
                sentences=['one', 'two', 'three'],
            ),
            'b': dict(duration=10.0, sentences=['no timestamps']),
        },
    )
    assert ds.videos[0]['segments'] == [
        dict(start=0, end=4, sentence='one'),
        dict(start=3.5, end=10.0, sentence='two'),  # clipped to the video
    ]
    assert ds.videos[1]['segments'] == [] and ds.has_segments
    assert len(logs) == 1 and "['a']" in logs[0] and 'skipped 1' in logs[0]
    refused = r"train.json: video 'a', segment 0: span"
    with pytest.raises(ValueError, match=refused):
        _activitynet(
            tmp_path,
            {'a': dict(duration=10.0, timestamps=[[12, 14]], sentences=['x'])},
            invalid_segments='error',
        )


def test_segment_frames_are_sampled_inside_their_spans(tmp_path):
    ds = _activitynet(
        tmp_path,
        {
            'a': dict(
                duration=10.0,
                timestamps=[[0, 1.5], [2, 9]],
                sentences=['a bike starts', 'it rides on and on'],
            )
        },
        **SEGMENT_PIPELINES,
    )
    item = ds.prepare_data(0)
    inputs = item['inputs']
    assert inputs['frames'].shape == (4, 3, 16, 16)
    # bikes.mp4: 250 frames at 25 fps; 1 fps inside each span, <= 3 frames
    first = sample_frame_indices(250, 25.0, 3, start=0, end=1.5)
    second = sample_frame_indices(250, 25.0, 3, start=2, end=9)
    assert first.tolist() == [0, 25] and second.tolist() == [50, 125, 225]
    assert inputs['segment_frames'].shape == (2, 3, 3, 16, 16)
    assert inputs['segment_frame_mask'].tolist() == [[1, 1, 0], [1, 1, 1]]
    assert inputs['segment_mask'].tolist() == [1, 1]
    assert inputs['segment_input_ids'].shape == (2, 12)
    assert inputs['segment_input_ids'][0, 0] == 49406
    # the segment frames are those frames: a direct decode of the span
    direct = Compose(
        [
            TRANSFORMS.build(t)
            for t in (
                dict(type='LoadVideoFrames', max_frames=3),
                *SEGMENT_PIPELINES['video_pipeline'][1:3],
            )
        ]
    )(dict(video_path=ds.videos[0]['video_path'], start=2, end=9))
    expected = torch.from_numpy(np.stack(direct['imgs'])).permute(0, 3, 1, 2)
    assert torch.equal(inputs['segment_frames'][1], expected)
    assert ds.provided_side_inputs() == {
        'segment_frames',
        'segment_sentences',
    }


def test_a_segment_outside_the_video_is_skipped_or_refused(tmp_path):
    # DiDeMo gives no durations: chunk 4 (20-25 s) of a 4 s video
    moments = [
        dict(video='v.mov', description='first', times=[[0, 0], [0, 0]]),
        dict(video='v.mov', description='late', times=[[4, 4]]),
    ]
    (tmp_path / 'data.json').write_text(json.dumps(moments))
    link_videos(tmp_path / 'videos', ['v.mov'])  # carphone: 4 s
    ds = DiDeMoRetrievalDataset(
        data_root=str(tmp_path), ann_file='data.json', **SEGMENT_PIPELINES
    )
    assert [(s['start'], s['end']) for s in ds.videos[0]['segments']] == [
        (0.0, 5.0),
        (20.0, 25.0),
    ]
    inputs = ds.prepare_data(0)['inputs']
    assert inputs['segment_mask'].tolist() == [1]  # 'late' skipped
    strict = dict(SEGMENT_PIPELINES)
    strict['video_pipeline'] = [
        dict(
            type='LoadVideoFrames',
            max_frames=4,
            segment_frames=3,
            invalid_segments='error',
        ),
        *SEGMENT_PIPELINES['video_pipeline'][1:],
    ]
    ds = DiDeMoRetrievalDataset(
        data_root=str(tmp_path), ann_file='data.json', **strict
    )
    with pytest.raises(ValueError, match=r"video 'v.mov'.*segment 1"):
        ds.prepare_data(0)


def test_variable_segments_collate_and_datasets_without_timestamps(
    synthetic_world,
):
    common = dict(
        data_root=str(synthetic_world),
        ann_file='annotations/MSRVTT_data.json',
        split='test',
        caption_sampling='one_per_video',
        **SEGMENT_PIPELINES,
    )
    plain = MSRVTTRetrievalDataset(**common)
    assert not plain.has_segments
    assert plain.provided_side_inputs() == set()
    ds = MSRVTTRetrievalDataset(
        segment_file='annotations/segments_test.json', **common
    )
    raw = json.loads(
        (synthetic_world / 'annotations/segments_test.json').read_text()
    )
    items = [ds.prepare_data(i) for i in range(len(ds))]
    counts = [len(raw[v['video_id']]['sentences']) for v in ds.videos]
    assert [i['inputs']['segment_mask'].shape[0] for i in items] == counts
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    batch = preprocessor(
        dict(
            inputs={
                k: [i['inputs'][k] for i in items] for k in items[0]['inputs']
            },
            data_samples=[i['data_samples'] for i in items],
        )
    )['inputs']
    most = max(counts)
    assert batch['segment_frames'].shape[:2] == (len(items), most)
    assert batch['segment_frames'].dtype == torch.float32
    assert batch['segment_mask'].tolist() == [
        [1] * n + [0] * (most - n) for n in counts
    ]
    for b, item in enumerate(items):  # real rows kept, normalised
        n, ts = item['inputs']['segment_frame_mask'].shape
        raw_frames = item['inputs']['segment_frames'].float()
        mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]) * 255
        std = torch.tensor([0.26862954, 0.26130258, 0.27577711]) * 255
        expected = (raw_frames - mean[:, None, None]) / std[:, None, None]
        assert torch.allclose(
            batch['segment_frames'][b, :n, :ts], expected, atol=1e-5
        )
        assert np.all(batch['segment_frame_mask'][b, n:].numpy() == 0)
