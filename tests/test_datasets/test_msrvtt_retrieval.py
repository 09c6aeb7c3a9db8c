"""MSRVTTRetrievalDataset end to end on a tiny MSR-VTT-format folder."""

import os

import numpy as np
import pytest
import torch

import hbi.datasets.base_video_text_dataset as base_module
import hbi.datasets.invalid_video_skipping as skipping_module
from hbi.datasets import MSRVTTRetrievalDataset
from hbi.datasets.transforms import VideoDecodeError
from hbi.registry import DATASETS
from tests.shared_data import MSRVTT  # noqa: E402

MAX_FRAMES = 6
# video0's, then video1's captions, each in the order of the json (which
# the fixture interleaves: sen_id 0, 2, 4, 6, 1, 3, 5, 7).
TRAIN_CAPTIONS = [
    ('a man talks on a phone in a car', 0),
    ('someone is driving and talking', 0),
    ('a man in a car', 0),
    ('a person drives', 1),
    ('a blurry man on the phone', 1),
]


def _cfg(root, **kwargs) -> dict:
    cfg = dict(
        type='MSRVTTRetrievalDataset',
        data_root=str(root),
        ann_file='annotations/MSRVTT_data.json',
        list_file='annotations/MSRVTT_train.csv',
        video_pipeline=[
            dict(type='LoadVideoFrames', max_frames=MAX_FRAMES),
            dict(type='mmaction.Resize', scale=(-1, 32)),
            dict(type='mmaction.CenterCrop', crop_size=32),
        ],
        text_pipeline=[dict(type='TokenizeText', max_length=16)],
        pack=dict(type='PackVideoTextInputs', max_frames=MAX_FRAMES),
    )
    cfg.update(kwargs)
    return cfg


@pytest.fixture
def logs(monkeypatch) -> list:
    messages = []
    for module in (base_module, skipping_module):
        monkeypatch.setattr(
            module, 'print_log', lambda msg, *a, **k: messages.append(msg)
        )
    return messages


def test_train_pairs_end_to_end(msrvtt_root, logs):
    ds = DATASETS.build(_cfg(msrvtt_root))
    assert isinstance(ds, MSRVTTRetrievalDataset)
    assert [v['video_id'] for v in ds.videos] == ['video0', 'video1']
    assert [
        (t['caption'], t['video_index']) for t in ds.texts
    ] == TRAIN_CAPTIONS
    assert len(ds) == 5 and logs == []
    item = ds[4]
    inputs, sample = item['inputs'], item['data_samples']
    assert inputs['frames'].shape == (MAX_FRAMES, 3, 32, 32)
    assert inputs['frames'].dtype == torch.uint8
    # carphone: 120 frames at 29.97 fps -> 4 real frames, 2 padded.
    assert inputs['frame_mask'].tolist() == [1, 1, 1, 1, 0, 0]
    assert inputs['frames'][4:].abs().sum() == 0
    assert inputs['frames'][:4].float().mean() > 10
    assert inputs['input_ids'].shape == (16,)
    assert inputs['attention_mask'].shape == (16,)
    assert inputs['input_ids'][0] == 49406
    assert inputs['attention_mask'].sum() == 8  # 6 words + start + end
    assert sample.metainfo == dict(
        video_id='video1',
        video_index=1,
        text_index=4,
        caption='a blurry man on the phone',
        num_frames=4,
    )


def test_modality_views(msrvtt_root, monkeypatch):
    ds = MSRVTTRetrievalDataset(
        **{
            k: v
            for k, v in _cfg(msrvtt_root, split='test', list_file='').items()
            if k != 'type'
        }
    )
    assert [v['video_id'] for v in ds.videos] == ['video2', 'video3']
    text, video = ds.with_modality('text'), ds.with_modality('video')
    assert len(ds) == len(text) == 3 and len(video) == 2
    assert ds.modality == 'pair' and text.videos is ds.videos

    # The text view never decodes a video.
    def fail(*args, **kwargs):
        raise AssertionError('decoded a video in the text view')

    monkeypatch.setattr('hbi.datasets.transforms.decoding.open_video', fail)
    items = [text[i] for i in range(len(text))]
    assert all(
        set(it['inputs']) == {'input_ids', 'attention_mask'} for it in items
    )
    assert [it['data_samples'].video_index for it in items] == [0, 0, 1]
    assert [it['data_samples'].caption for it in items] == [
        'bikes on a road',
        'people ride bikes',
        'a car passenger speaks',
    ]
    monkeypatch.undo()
    item = video[0]
    assert set(item['inputs']) == {'frames', 'frame_mask'}
    # bikes: 250 frames at 25 fps -> 10 candidates -> 6 kept, no padding.
    assert item['inputs']['frame_mask'].tolist() == [1] * 6
    assert item['data_samples'].text_index == -1
    assert item['data_samples'].video_id == 'video2'
    with pytest.raises(ValueError, match='modality must be one of'):
        ds.with_modality('audio')


def test_jsfusion_list_carries_captions(msrvtt_root):
    ds = MSRVTTRetrievalDataset(
        data_root=str(msrvtt_root),
        list_file='annotations/MSRVTT_JSFUSION_test.csv',
        modality='text',
        text_pipeline=[dict(type='TokenizeText')],
    )
    assert [v['video_id'] for v in ds.videos] == ['video2', 'video3']
    assert [t['caption'] for t in ds.texts] == [
        'people ride bikes',
        'a car passenger speaks',
    ]
    assert ds[1]['data_samples'].video_index == 1
    with pytest.raises(ValueError, match='carries its own captions'):
        MSRVTTRetrievalDataset(
            data_root=str(msrvtt_root),
            ann_file='annotations/MSRVTT_data.json',
            list_file='annotations/MSRVTT_JSFUSION_test.csv',
        )


def test_real_jsfusion_file_without_videos(tmp_path, logs):
    (tmp_path / 'videos').mkdir()
    ds = MSRVTTRetrievalDataset(
        data_root=str(tmp_path),
        list_file=str(MSRVTT / 'MSRVTT_JSFUSION_test.csv'),
        modality='text',
        text_pipeline=[dict(type='TokenizeText')],
    )
    assert len(ds) == len(ds.videos) == 1000
    assert len(ds.with_modality('video')) == 1000
    assert (
        ds[0]['data_samples'].caption
        == 'a person is connecting something to system'
    )
    # Reported once (the views share the check), with count and first ids.
    assert len(logs) == 1
    assert '1000 of 1000 videos' in logs[0] and 'video9770' in logs[0]


def test_one_per_video_is_deterministic(msrvtt_root):
    cfg = _cfg(msrvtt_root, caption_sampling='one_per_video', seed=7)
    cfg.pop('type')
    ds, again = MSRVTTRetrievalDataset(**cfg), MSRVTTRetrievalDataset(**cfg)
    assert len(ds) == 2  # one item per video

    def picks(dataset, epoch):
        dataset.set_epoch(epoch)
        return [dataset.get_data_info(i)['text_index'] for i in range(2)]

    by_epoch = [picks(ds, e) for e in range(12)]
    for epoch, chosen in enumerate(by_epoch):
        expected = [
            ds.video_texts[i][
                np.random.default_rng((7, epoch, i)).integers(
                    len(ds.video_texts[i])
                )
            ]
            for i in range(2)
        ]
        assert chosen == expected
        assert picks(again, epoch) == chosen
        assert chosen[0] in (0, 1, 2) and chosen[1] in (3, 4)
    assert len({tuple(c) for c in by_epoch}) > 1  # varies with the epoch
    ds.set_epoch(5)
    item = ds[1]
    assert item['data_samples'].text_index == by_epoch[5][1]
    assert item['data_samples'].caption == ds.texts[by_epoch[5][1]]['caption']


def test_missing_data_root(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MSRVTTRetrievalDataset(
            data_root=str(tmp_path / 'nope'), ann_file='MSRVTT_data.json'
        )
    message = str(info.value)
    assert 'nope' in message
    assert (
        'python tools/data/synthetic/generate_synthetic_world.py --out '
        'data/synthetic'
    ) in message
    assert 'docs/en/data_preparation.md' in message


def test_missing_video(msrvtt_root, logs):
    path = msrvtt_root / 'videos' / 'video1.mp4'
    os.remove(path)
    ds = DATASETS.build(_cfg(msrvtt_root))
    assert ds.missing_video_ids == ['video1']
    assert len(logs) == 1 and '1 of 2 videos' in logs[0]
    with pytest.raises(
        VideoDecodeError, match=rf"'video1' \({path}\): file not found"
    ):
        ds[3]
    skipping = DATASETS.build(_cfg(msrvtt_root, skip_invalid=True))
    np.random.seed(0)
    item = skipping[3]  # mmengine fetches another index instead
    assert item['data_samples'].video_id == 'video0'
    # Each attempt on video1 (the re-fetch may draw it again) is recorded.
    assert skipping.invalid_videos
    assert set(skipping.invalid_videos) == {('video1', 'file not found')}
    assert "skipping video 'video1'" in logs[-1] and str(path) in logs[-1]
    # Evaluation cannot skip.
    testing = DATASETS.build(
        _cfg(msrvtt_root, skip_invalid=True, test_mode=True)
    )
    with pytest.raises(VideoDecodeError, match='video1'):
        testing[3]


@pytest.mark.parametrize(
    'content, reason', [(b'\x13\x37' * 4096, 'cannot open'), (b'', 'empty')]
)
def test_corrupt_or_empty_video(msrvtt_root, content, reason):
    path = msrvtt_root / 'videos' / 'video0.mp4'
    path.write_bytes(content)
    ds = DATASETS.build(_cfg(msrvtt_root))
    with pytest.raises(
        VideoDecodeError, match=rf"'video0' \({path}\): .*{reason}"
    ) as info:
        ds[0]
    assert info.value.video_id == 'video0'


def test_bad_annotations(msrvtt_root):
    (msrvtt_root / 'annotations' / 'ids.csv').write_text(
        'video_id\nvideo0\nvideo8\n'
    )
    with pytest.raises(
        ValueError,
        match=r'ids\.csv: 1 video ids not in '
        r".*MSRVTT_data\.json, e\.g\. \['video8'\]",
    ):
        DATASETS.build(_cfg(msrvtt_root, list_file='annotations/ids.csv'))
    (msrvtt_root / 'annotations' / 'bad.json').write_text(
        '{"videos": [{"video_id": "video0", "split": "train"}], '
        '"sentences": [{"video_id": "video0"}]}'
    )
    with pytest.raises(
        ValueError,
        match=r'bad\.json: sentences\[0\]: '
        "missing field 'caption'",
    ):
        DATASETS.build(
            _cfg(msrvtt_root, ann_file='annotations/bad.json', list_file='')
        )
    with pytest.raises(ValueError, match='either list_file or split'):
        DATASETS.build(_cfg(msrvtt_root, split='test'))
    with pytest.raises(ValueError, match="no video with split 'val'"):
        DATASETS.build(_cfg(msrvtt_root, split='val', list_file=''))


def test_lazy_views_and_dataloader(msrvtt_root):
    from mmengine.runner import Runner

    ds = DATASETS.build(
        _cfg(msrvtt_root, lazy_init=True, serialize_data=False)
    )
    video = ds.with_modality('video')
    assert len(video) == 2 and len(ds) == 5
    loader = Runner.build_dataloader(
        dict(
            dataset=video,
            batch_size=2,
            num_workers=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            worker_init_fn=dict(type='hbi_seed_worker_from_loader'),
        )
    )
    batches = list(loader)
    assert len(batches) == 1
    inputs, samples = batches[0]['inputs'], batches[0]['data_samples']
    # pseudo_collate: a dict of lists of tensors, and a list of samples.
    assert [f.shape for f in inputs['frames']] == [(MAX_FRAMES, 3, 32, 32)] * 2
    assert [m.tolist() for m in inputs['frame_mask']] == [
        [1] * 4 + [0] * 2
    ] * 2
    assert [s.video_id for s in samples] == ['video0', 'video1']
