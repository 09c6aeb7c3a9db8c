"""MSVD, ActivityNet, DiDeMo, LSMDC and mmaction2-format retrieval datasets
on tiny folders in their real formats with real mp4s."""

import json
import pickle

import pytest
from video_helpers import link_videos

import hbi.datasets.activitynet_retrieval as anet_module
import hbi.datasets.base_video_text_dataset as base_module
from hbi.datasets import (
    ActivityNetRetrievalDataset,
    DiDeMoRetrievalDataset,
    LSMDCRetrievalDataset,
    MMActionRetrievalDataset,
    MSVDRetrievalDataset,
)
from hbi.registry import DATASETS

PIPELINES = dict(
    video_pipeline=[
        dict(type='LoadVideoFrames', max_frames=4),
        dict(type='mmaction.Resize', scale=(-1, 16)),
        dict(type='mmaction.CenterCrop', crop_size=16),
    ],
    text_pipeline=[dict(type='TokenizeText', max_length=24)],
    pack=dict(type='PackVideoTextInputs', max_frames=4),
)


@pytest.fixture
def logs(monkeypatch) -> list:
    messages = []
    for module in (base_module, anet_module):
        monkeypatch.setattr(
            module, 'print_log', lambda msg, *a, **k: messages.append(msg)
        )
    return messages


# -- MSVD ------------------------------------------------------------------
def _msvd(root):
    captions = {
        'vidA_1_5': [
            ['a', 'man', 'sings'],
            ['someone', 'is', 'singing'],
            ['a', 'café', 'singer'],
        ],
        'vidB_0_9': [['a', 'dog', 'runs']],
        'vidC_3_4': [['two', 'cats'], ['cats', 'play']],
    }
    with open(root / 'raw-captions.pkl', 'wb') as f:
        pickle.dump(captions, f)
    (root / 'test_list.txt').write_text('vidC_3_4\nvidA_1_5\n\n')
    link_videos(root / 'YouTubeClips', captions, ext='.avi')
    return dict(
        type='MSVDRetrievalDataset',
        data_root=str(root),
        ann_file='raw-captions.pkl',
        list_file='test_list.txt',
        data_prefix=dict(video='YouTubeClips'),
        **PIPELINES,
    )


def test_msvd_several_captions_per_video(tmp_path):
    ds = DATASETS.build(_msvd(tmp_path))
    assert isinstance(ds, MSVDRetrievalDataset)
    assert [v['video_id'] for v in ds.videos] == ['vidC_3_4', 'vidA_1_5']
    assert ds.videos[1]['video_path'] == str(
        tmp_path / 'YouTubeClips' / 'vidA_1_5.avi'
    )
    assert [(t['caption'], t['video_index']) for t in ds.texts] == [
        ('two cats', 0),
        ('cats play', 0),
        ('a man sings', 1),
        ('someone is singing', 1),
        ('a café singer', 1),
    ]
    assert len(ds) == 5 and len(ds.with_modality('video')) == 2
    item = ds[4]  # non-ASCII caption: tokenised (byte-level BPE)
    assert item['inputs']['attention_mask'].sum() >= 5
    assert item['inputs']['frame_mask'].tolist() == [1, 1, 1, 1]
    assert item['data_samples'].video_id == 'vidA_1_5'


def test_msvd_errors(tmp_path):
    cfg = _msvd(tmp_path)
    (tmp_path / 'bad_list.txt').write_text('vidA_1_5\nvidZ\n')
    with pytest.raises(
        ValueError,
        match=r'bad_list\.txt: 1 video ids not '
        r"in .*raw-captions\.pkl, e\.g\. \['vidZ'\]",
    ):
        DATASETS.build(dict(cfg, list_file='bad_list.txt'))
    (tmp_path / 'dup_list.txt').write_text('vidA_1_5\nvidB_0_9\nvidA_1_5\n')
    with pytest.raises(
        ValueError,
        match=r'dup_list\.txt: line 3: id '
        r"'vidA_1_5' already listed on line 1",
    ):
        DATASETS.build(dict(cfg, list_file='dup_list.txt'))
    with open(tmp_path / 'empty.pkl', 'wb') as f:
        pickle.dump({'vidA_1_5': [['a'], []]}, f)
    with pytest.raises(
        ValueError,
        match=r"empty\.pkl: video 'vidA_1_5' "
        r"caption 1: field 'caption' is empty",
    ):
        DATASETS.build(dict(cfg, ann_file='empty.pkl', list_file=''))
    (tmp_path / 'junk.pkl').write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match=r'junk\.pkl: not a valid pickle'):
        DATASETS.build(dict(cfg, ann_file='junk.pkl', list_file=''))


# -- ActivityNet -------------------------------------------------------------
def _activitynet(root):
    ann = {
        'v_abc': dict(
            duration=4.0,
            timestamps=[[0, 2], [2, 4]],
            sentences=[' A man walks in. ', 'He sits down.'],
        ),
        'v_def': dict(
            duration=8.0,
            timestamps=[[0, 8], [1, 3], [5, 6]],
            sentences=['Bikes race.', '  ', 'One falls.'],
        ),
    }
    (root / 'val_1.json').write_text(json.dumps(ann))
    link_videos(root / 'videos', ['abc'], 'carphone_pristine.mp4')
    link_videos(root / 'videos', ['def'], 'bikes.mp4')
    return dict(
        type='ActivityNetRetrievalDataset',
        data_root=str(root),
        ann_file='val_1.json',
        strip_id_prefix='v_',
        **PIPELINES,
    )


def test_activitynet_paragraphs(tmp_path, logs):
    ds = DATASETS.build(_activitynet(tmp_path))
    assert isinstance(ds, ActivityNetRetrievalDataset)
    assert [v['video_id'] for v in ds.videos] == ['abc', 'def']
    assert [t['caption'] for t in ds.texts] == [
        'A man walks in. He sits down.',
        'Bikes race. One falls.',
    ]
    assert logs == [
        f'ActivityNetRetrievalDataset: 1 empty sentences in '
        f'{tmp_path / "val_1.json"} were left out of their '
        'paragraphs'
    ]
    item = ds[1]  # bikes: 10 s at 25 fps, whole video -> 10 -> 4 frames
    assert item['inputs']['frame_mask'].tolist() == [1, 1, 1, 1]
    assert item['data_samples'].caption == 'Bikes race. One falls.'


@pytest.mark.parametrize(
    'entry, message',
    [
        (dict(duration=1, timestamps=[[0, 1]]), "missing field 'sentences'"),
        (
            dict(timestamps=[[0, 1]], sentences=['a', 'b']),
            "field 'timestamps' must be a list with one",
        ),
        (dict(sentences=['', ' ']), "field 'sentences' has no non-empty"),
        (dict(sentences='a man'), "field 'sentences' must be a list"),
    ],
)
def test_activitynet_malformed(tmp_path, entry, message):
    (tmp_path / 'bad.json').write_text(json.dumps({'v_x': entry}))
    with pytest.raises(
        ValueError, match=rf"bad\.json: video 'v_x': {message}"
    ):
        ActivityNetRetrievalDataset(
            data_root=str(tmp_path), ann_file='bad.json'
        )


def test_synthetic_segments_through_activitynet(synthetic_world):
    seg_file = synthetic_world / 'annotations' / 'segments_test.json'
    raw = json.loads(seg_file.read_text())
    ds = ActivityNetRetrievalDataset(
        data_root=str(synthetic_world),
        ann_file='annotations/segments_test.json',
        **PIPELINES,
    )
    assert [v['video_id'] for v in ds.videos] == list(raw)
    assert [t['caption'] for t in ds.texts] == [
        ' '.join(v['sentences']) for v in raw.values()
    ]
    item = ds[0]  # 6-10 s at 8 fps: >= 6 candidates -> 4 frames
    assert item['inputs']['frames'].shape == (4, 3, 16, 16)
    assert item['inputs']['frame_mask'].tolist() == [1, 1, 1, 1]


# -- DiDeMo ------------------------------------------------------------------
def test_didemo_paragraphs_and_list(tmp_path):
    moments = [
        dict(video='a@N01_1.mov', description='a dog appears', times=[[0, 0]]),
        dict(video='b@N02_2.mp4', description='kids play', times=[[1, 2]]),
        dict(
            video='a@N01_1.mov',
            description='the dog barks',
            times=[[2, 3], [2, 2]],
        ),
        dict(video='c@N03_3.avi', description='a bike', times=[[0, 1]]),
    ]
    (tmp_path / 'test_data.json').write_text(json.dumps(moments))
    (tmp_path / 'test_list.txt').write_text('a@N01_1.mov\nb@N02_2.mp4\n')
    link_videos(tmp_path / 'videos', ['a@N01_1.mov', 'b@N02_2.mp4'])
    ds = DiDeMoRetrievalDataset(
        data_root=str(tmp_path),
        ann_file='test_data.json',
        list_file='test_list.txt',
        clip_end=2.0,
        **PIPELINES,
    )
    assert [v['video_id'] for v in ds.videos] == ['a@N01_1.mov', 'b@N02_2.mp4']
    assert ds.videos[0]['video_path'].endswith('videos/a@N01_1.mov.mp4')
    assert [t['caption'] for t in ds.texts] == [
        'a dog appears the dog barks',
        'kids play',
    ]
    # clip_end=2 s of a 4 s, 29.97 fps video: frames 0 and 30 only.
    assert ds[0]['inputs']['frame_mask'].tolist() == [1, 1, 0, 0]
    every = DiDeMoRetrievalDataset(
        data_root=str(tmp_path), ann_file='test_data.json'
    )
    assert len(every.videos) == 3 and every.missing_video_ids == [
        'c@N03_3.avi'
    ]
    (tmp_path / 'bad.json').write_text(
        json.dumps([moments[0], dict(video='x', times=[[0, 0]])])
    )
    with pytest.raises(
        ValueError,
        match=r'bad\.json: entry 1: missing '
        "field 'description'",
    ):
        DiDeMoRetrievalDataset(data_root=str(tmp_path), ann_file='bad.json')


# -- LSMDC -------------------------------------------------------------------
LSMDC_LINES = [
    '0001_American_Beauty_00.00.51.926-00.00.54.129\t00.00.51.926\t'
    '00.00.54.129\t00.00.51.000\t00.00.55.000\tSOMEONE looks at the café.',
    '0002_As_Good_As_It_Gets_00.01.01.000-00.01.05.000\t00.01.01.000\t'
    '00.01.05.000\t00.01.01.000\t00.01.05.000\tHe walks away.',
]


def test_lsmdc_tab_separated(tmp_path):
    (tmp_path / 'LSMDC16_challenge_1000_publictect.csv').write_text(
        '\n'.join(LSMDC_LINES) + '\n'
    )
    ids = [line.split('\t')[0] for line in LSMDC_LINES]
    for clip_id in ids:
        link_videos(
            tmp_path / 'videos' / clip_id.rsplit('_', 1)[0],
            [clip_id],
            ext='.avi',
        )
    ds = LSMDCRetrievalDataset(
        data_root=str(tmp_path),
        ann_file='LSMDC16_challenge_1000_publictect.csv',
        **PIPELINES,
    )
    assert [v['video_id'] for v in ds.videos] == ids
    assert ds.videos[0]['video_path'] == str(
        tmp_path / 'videos' / '0001_American_Beauty' / f'{ids[0]}.avi'
    )
    assert ds.missing_video_ids == []
    assert [t['caption'] for t in ds.texts] == [
        'SOMEONE looks at the café.',
        'He walks away.',
    ]
    assert ds[1]['data_samples'].video_index == 1
    flat = LSMDCRetrievalDataset(
        data_root=str(tmp_path),
        movie_subfolders=False,
        ann_file='LSMDC16_challenge_1000_publictect.csv',
    )
    assert flat.videos[1]['video_path'] == str(
        tmp_path / 'videos' / f'{ids[1]}.avi'
    )


@pytest.mark.parametrize(
    'line, message',
    [
        (
            'clip_1\t1\t2\t3\tno sentence column',
            'line 2: expected at least 6 tab-separated fields, got 5',
        ),
        ('clip_1\t1\t2\t3\t4\t  ', "line 2: field 'sentence' is empty"),
        (LSMDC_LINES[0], "line 2: clip '0001_American_Beauty_00.00.51.926-"),
    ],
)
def test_lsmdc_malformed_line(tmp_path, line, message):
    (tmp_path / 'a.csv').write_text(LSMDC_LINES[0] + '\n' + line + '\n')
    with pytest.raises(ValueError, match=rf'a\.csv: {message}'):
        LSMDCRetrievalDataset(data_root=str(tmp_path), ann_file='a.csv')


# -- mmaction2 format --------------------------------------------------------
def test_mmaction_format(tmp_path, logs):
    ann = {
        'video1.mp4': ['a man talks', 'someone drives'],
        'video2.mkv': ['bikes'],
        'video3.mp4': ['missing file'],
    }
    (tmp_path / 'test.json').write_text(json.dumps(ann))
    link_videos(tmp_path / 'videos', ['video1'])
    link_videos(tmp_path / 'videos', ['video2'], 'bikes.mp4', ext='.mkv')
    ds = MMActionRetrievalDataset(
        data_root=str(tmp_path), ann_file='test.json', **PIPELINES
    )
    assert [v['video_id'] for v in ds.videos] == ['video1', 'video2', 'video3']
    assert ds.videos[1]['video_path'] == str(
        tmp_path / 'videos' / 'video2.mkv'
    )
    assert [(t['caption'], t['video_index']) for t in ds.texts] == [
        ('a man talks', 0),
        ('someone drives', 0),
        ('bikes', 1),
        ('missing file', 2),
    ]
    # The missing file is reported once at start-up with the count.
    assert (
        len(logs) == 1
        and '1 of 3 videos' in logs[0]
        and "['video3']" in logs[0]
    )
    assert ds.with_modality('video')[1]['data_samples'].video_id == 'video2'
    (tmp_path / 'bad.json').write_text(json.dumps({'v.mp4': ['ok', '']}))
    with pytest.raises(
        ValueError,
        match=r"bad\.json: 'v\.mp4' caption 1: "
        "field 'caption' is empty",
    ):
        MMActionRetrievalDataset(data_root=str(tmp_path), ann_file='bad.json')
