"""MSR-VTT's full test split and 9k training list at full size (the real
9k csv, a generated MSRVTT_data.json with the real split sizes), and
MSRVTTCaptionDataset."""

import json

import pytest
from video_helpers import REAL_MSRVTT, link_videos

from hbi.datasets import MSRVTTCaptionDataset, MSRVTTRetrievalDataset
from hbi.registry import DATASETS

# MSR-VTT's official split: video0-6512 train, 6513-7009 validate,
# 7010-9999 test; 20 captions per video.
SPLITS = (('train', 0, 6513), ('validate', 6513, 7010), ('test', 7010, 10000))


@pytest.fixture(scope='module')
def full_msrvtt(tmp_path_factory):
    root = tmp_path_factory.mktemp('msrvtt_full')
    videos, sentences = [], []
    for split, first, stop in SPLITS:
        for k in range(first, stop):
            videos.append(dict(video_id=f'video{k}', split=split, category=0))
    for j in range(20):  # caption-major order, as interleaved as the real
        for k in range(10000):
            sentences.append(
                dict(
                    caption=f'caption {j} of clip {k}',
                    video_id=f'video{k}',
                    sen_id=len(sentences),
                )
            )
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'MSRVTT_data.json').write_text(
        json.dumps(dict(videos=videos, sentences=sentences))
    )
    link_videos(root / 'videos', ['video0', 'video7010', 'video9999'])
    return root


def test_full_test_split(full_msrvtt):
    ds = MSRVTTRetrievalDataset(
        data_root=str(full_msrvtt),
        ann_file='annotations/MSRVTT_data.json',
        split='test',
        modality='text',
    )
    assert len(ds.videos) == 2990 and len(ds) == 59800
    assert ds.videos[0]['video_id'] == 'video7010'
    assert ds.videos[-1]['video_id'] == 'video9999'
    assert [t['caption'] for t in ds.texts[:2]] == [
        'caption 0 of clip 7010',
        'caption 1 of clip 7010',
    ]
    assert len(ds.with_modality('video')) == 2990
    assert ds.video_texts[5] == list(range(100, 120))


def test_real_9k_training_list(full_msrvtt):
    ds = MSRVTTRetrievalDataset(
        data_root=str(full_msrvtt),
        ann_file='annotations/MSRVTT_data.json',
        list_file=str(REAL_MSRVTT / 'MSRVTT_train.9k.csv'),
        caption_sampling='one_per_video',
        modality='pair',
    )
    ids = (REAL_MSRVTT / 'MSRVTT_train.9k.csv').read_text().split()[1:]
    assert [v['video_id'] for v in ds.videos] == ids and len(ids) == 9000
    assert len(ds) == 9000  # one caption per video per epoch
    everything = MSRVTTRetrievalDataset(
        data_root=str(full_msrvtt),
        ann_file='annotations/MSRVTT_data.json',
        list_file=str(REAL_MSRVTT / 'MSRVTT_train.9k.csv'),
        modality='text',
    )
    assert len(everything) == 180000  # every caption


def test_caption_dataset_gt_captions(full_msrvtt):
    cfg = dict(
        type='MSRVTTCaptionDataset',
        data_root=str(full_msrvtt),
        ann_file='annotations/MSRVTT_data.json',
        split='test',
        modality='video',
        test_mode=True,
        video_pipeline=[
            dict(type='LoadVideoFrames', max_frames=3),
            dict(type='mmaction.Resize', scale=(-1, 16)),
            dict(type='mmaction.CenterCrop', crop_size=16),
        ],
        pack=dict(type='PackVideoTextInputs', max_frames=3),
    )
    ds = DATASETS.build(cfg)
    assert isinstance(ds, MSRVTTCaptionDataset) and len(ds) == 2990
    item = ds[0]
    sample = item['data_samples']
    assert sample.video_id == 'video7010'
    assert sample.gt_captions == [
        f'caption {j} of clip 7010' for j in range(20)
    ]
    assert 'gt_captions' not in sample.metainfo_keys()
    assert item['inputs']['frames'].shape == (3, 3, 16, 16)
    train = DATASETS.build(
        dict(cfg, split='train', modality='pair', test_mode=False)
    )
    assert len(train) == 6513 * 20
    pair = train.get_data_info(1)
    assert pair['caption'] == 'caption 1 of clip 0'
    assert len(pair['gt_captions']) == 20
    val = DATASETS.build(dict(cfg, split='validate'))
    assert [v['video_id'] for v in val.videos][::496] == [
        'video6513',
        'video7009',
    ]


def test_caption_dataset_on_synthetic_world(synthetic_world):
    ann = json.loads(
        (synthetic_world / 'annotations' / 'MSRVTT_data.json').read_text()
    )
    test_ids = [v['video_id'] for v in ann['videos'] if v['split'] == 'test']
    ds = MSRVTTCaptionDataset(
        data_root=str(synthetic_world),
        ann_file='annotations/MSRVTT_data.json',
        split='test',
        modality='video',
        test_mode=True,
    )
    assert [v['video_id'] for v in ds.videos] == test_ids
    info = ds.get_data_info(1)
    assert info['gt_captions'] == [
        s['caption'] for s in ann['sentences'] if s['video_id'] == test_ids[1]
    ]
    assert len(info['gt_captions']) == 5
