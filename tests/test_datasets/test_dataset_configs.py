"""Every dataset config of configs/_base_/datasets parses annotations
written in its format at the paths it names (MSRVTT-QA's real files too);
the synthetic ones load the generator's files and give packed items."""

import json
import pickle
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config

from hbi.registry import DATASETS
from tests.shared_data import MSRVTT as REAL_MSRVTT

CONFIG_DIR = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'
NEW_CONFIGS = [
    'activitynet_retrieval.py',
    'didemo_retrieval.py',
    'lsmdc_retrieval.py',
    'mmaction_retrieval.py',
    'msrvtt_caption.py',
    'msrvtt_full_test_retrieval.py',
    'msrvtt_qa.py',
    'msvd_caption.py',
    'msvd_qa.py',
    'msvd_retrieval.py',
    'synthetic_caption.py',
    'synthetic_paragraph_retrieval.py',
    'synthetic_qa.py',
]
SPLITS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def _write_lines(path: Path, lines) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(f'{line}\n' for line in lines))


def _write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


#: Two videos and their captions, what each writer puts in the config's
#: files (plus a decoy the split or list must leave out, where it can).
CAPTIONS = {
    'vidA': ['a man sings', 'someone is singing'],
    'vidB': ['a dog runs'],
}
DECOY = {'vidZ': ['not in this split']}


def _msrvtt(root: Path, ds: dict) -> dict:
    """MSR-VTT: MSRVTT_data.json (videos with splits, sentences) and a
    video-id list, or the JSFusion csv (key,vid_key,video_id,sentence)."""
    split = ds.get('split') or 'train'
    if ds['ann_file']:
        videos = [dict(video_id=v, split=split) for v in CAPTIONS]
        videos.append(dict(video_id='vidZ', split='elsewhere'))
        sentences = [
            dict(caption=c, video_id=v, sen_id=0)
            for v, cs in {**CAPTIONS, **DECOY}.items()
            for c in cs
        ]
        _write_json(
            root / ds['ann_file'], dict(videos=videos, sentences=sentences)
        )
        if ds.get('list_file'):
            _write_lines(root / ds['list_file'], ['video_id', *CAPTIONS])
        expected = CAPTIONS
    else:  # 1k-A: one caption per video, from the csv
        expected = {v: cs[:1] for v, cs in CAPTIONS.items()}
        _write_lines(
            root / ds['list_file'],
            ['key,vid_key,video_id,sentence']
            + [
                f'ret{i},msr{i},{v},{cs[0]}'
                for i, (v, cs) in enumerate(expected.items())
            ],
        )
    return expected


def _video_qa(root: Path, ds: dict) -> dict:
    """VideoQA: a jsonl of (answer, question, video_id, answer_type) and the
    answer vocabulary."""
    answers = {'vidA': ['red', 'two'], 'vidB': ['dog']}
    lines = [
        json.dumps(dict(answer=a, question=q, video_id=v, answer_type='what'))
        for v in CAPTIONS
        for q, a in zip(CAPTIONS[v], answers[v])
    ]
    _write_lines(root / ds['ann_file'], lines)
    _write_json(root / ds['ans2label_file'], {'red': 0, 'two': 1, 'dog': 2})
    return CAPTIONS


def _msvd(root: Path, ds: dict) -> dict:
    """MSVD: raw-captions.pkl ({id: [[words]]}) and a list of ids."""
    with open(root / ds['ann_file'], 'wb') as f:
        pickle.dump(
            {
                v: [c.split() for c in cs]
                for v, cs in {**CAPTIONS, **DECOY}.items()
            },
            f,
        )
    _write_lines(root / ds['list_file'], CAPTIONS)
    return CAPTIONS


def _activitynet(root: Path, ds: dict) -> dict:
    """ActivityNet Captions: {v_<id>: duration, timestamps, sentences};
    each video's sentences form one paragraph."""
    _write_json(
        root / ds['ann_file'],
        {
            f'v_{v}': dict(
                duration=10.0,
                timestamps=[[i, i + 1] for i in range(len(cs))],
                sentences=cs,
            )
            for v, cs in CAPTIONS.items()
        },
    )
    return {v: [' '.join(cs)] for v, cs in CAPTIONS.items()}


def _didemo(root: Path, ds: dict) -> dict:
    """DiDeMo: a list of moments (video, description, times); each video's
    descriptions form one paragraph."""
    _write_json(
        root / ds['ann_file'],
        [
            dict(video=f'{v}.mov', description=c, times=[[0, 1]])
            for v, cs in CAPTIONS.items()
            for c in cs
        ],
    )
    return {f'{v}.mov': [' '.join(cs)] for v, cs in CAPTIONS.items()}


def _lsmdc(root: Path, ds: dict) -> dict:
    """LSMDC: tab-separated clip id, four times, sentence; clips under a
    folder per movie."""
    clips = {
        '0001_Movie_A_00.00.01.000-00.00.02.000': 'someone sings',
        '0002_Movie_B_00.00.03.000-00.00.04.000': 'he walks away',
    }
    times = '\t'.join(['00.00.01.000'] * 4)
    _write_lines(
        root / ds['ann_file'], [f'{c}\t{times}\t{s}' for c, s in clips.items()]
    )
    return {c: [s] for c, s in clips.items()}


def _mmaction(root: Path, ds: dict) -> dict:
    """mmaction2's retrieval format: {file name: [captions]}."""
    _write_json(
        root / ds['ann_file'], {f'{v}.mp4': cs for v, cs in CAPTIONS.items()}
    )
    return CAPTIONS


WRITERS = {
    'MSRVTTRetrievalDataset': _msrvtt,
    'MSRVTTCaptionDataset': _msrvtt,
    'VideoQADataset': _video_qa,
    'MSVDRetrievalDataset': _msvd,
    'MSVDCaptionDataset': _msvd,
    'ActivityNetRetrievalDataset': _activitynet,
    'DiDeMoRetrievalDataset': _didemo,
    'LSMDCRetrievalDataset': _lsmdc,
    'MMActionRetrievalDataset': _mmaction,
}
#: Where docs/en/data_preparation.md puts a video of each config's data.
DOCUMENTED_VIDEO_PATH = {
    'activitynet_retrieval.py': 'videos/{}.mp4',
    'didemo_retrieval.py': 'videos/{}.mp4',
    'lsmdc_retrieval.py': 'videos/{movie}/{}.avi',
    'mmaction_retrieval.py': 'videos_2fps_224/{}.mp4',
    'msrvtt-9k_retrieval.py': 'videos/{}.mp4',
    'msrvtt_caption.py': 'videos/{}.mp4',
    'msrvtt_full_test_retrieval.py': 'videos/{}.mp4',
    'msrvtt_qa.py': 'videos/{}.mp4',
    'msvd_caption.py': 'YouTubeClips/{}.avi',
    'msvd_qa.py': 'YouTubeClips/{}.avi',
    'msvd_retrieval.py': 'YouTubeClips/{}.avi',
}
REAL_FILE_CONFIGS = ['msrvtt-9k_retrieval.py'] + [
    name for name in NEW_CONFIGS if not name.startswith('synthetic')
]


@pytest.mark.parametrize('split', SPLITS)
@pytest.mark.parametrize('name', REAL_FILE_CONFIGS)
def test_config_parses_its_annotations(name, split, tmp_path):
    """Each split of each config reads files written in its dataset's
    format at the paths the config names, and finds every video where the
    data preparation guide puts it."""
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    dataset_cfg = cfg[split]['dataset'].to_dict()
    dataset_cfg.update(data_root=str(tmp_path))
    expected = WRITERS[dataset_cfg['type']](tmp_path, dataset_cfg)
    for video in expected:
        movie = video.rsplit('_', 1)[0]
        _touch(
            tmp_path / DOCUMENTED_VIDEO_PATH[name].format(video, movie=movie)
        )
    dataset = DATASETS.build(dataset_cfg)
    assert type(dataset).__name__ == cfg[split]['dataset']['type']
    assert dataset.test_mode == (split != 'train_dataloader')
    assert dataset.missing_video_ids == []
    assert [v['video_id'] for v in dataset.videos] == list(expected)
    got = {}
    for text in dataset.texts:
        video_id = dataset.videos[text['video_index']]['video_id']
        got.setdefault(video_id, []).append(text['caption'])
    assert {v: sorted(c) for v, c in got.items()} == {
        v: sorted(c) for v, c in expected.items()
    }


@pytest.mark.parametrize('split', SPLITS)
def test_msrvtt_qa_config_reads_the_real_files(split, tmp_path):
    """MSRVTT-QA's real validation file and vocabulary (as distributed) in
    every split of the config: 12,278 questions on 497 videos, 859 of them
    with an answer outside the vocabulary, which training drops."""
    cfg = Config.fromfile(str(CONFIG_DIR / 'msrvtt_qa.py'))
    dataset_cfg = cfg[split]['dataset'].to_dict()
    dataset_cfg.update(data_root=str(tmp_path))
    for name, target in (
        ('val.jsonl', dataset_cfg['ann_file']),
        ('train_ans2label.json', dataset_cfg['ans2label_file']),
    ):
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REAL_MSRVTT / name, tmp_path / target)
    records = [
        json.loads(line)
        for line in (REAL_MSRVTT / 'val.jsonl').read_text().splitlines()
    ]
    vocab = json.loads((REAL_MSRVTT / 'train_ans2label.json').read_text())
    videos = list(dict.fromkeys(r['video_id'] for r in records))
    for video in videos:
        _touch(tmp_path / 'videos' / f'{video}.mp4')
    dataset = DATASETS.build(dataset_cfg)
    assert dataset.missing_video_ids == []
    keep = [
        r
        for r in records
        if r['answer'] in vocab or not dataset_cfg.get('drop_unknown_answers')
    ]
    assert (len(records), len(videos)) == (12278, 497)
    assert (
        len(dataset)
        == len(keep)
        == (11419 if split == 'train_dataloader' else 12278)
    )
    assert sorted(t['caption'] for t in dataset.texts) == sorted(
        r['question'] for r in keep
    )


def test_full_test_config_uses_the_test_split():
    cfg = Config.fromfile(str(CONFIG_DIR / 'msrvtt_full_test_retrieval.py'))
    dataset = cfg.test_dataloader.dataset
    assert (dataset.split, dataset.list_file) == ('test', '')
    assert dataset.ann_file == 'annotations/MSRVTT_data.json'


@pytest.mark.parametrize(
    'name, expected_keys',
    [
        ('synthetic_qa.py', {'gt_answer'}),
        ('synthetic_caption.py', {'gt_captions'}),
        ('synthetic_paragraph_retrieval.py', set()),
    ],
)
def test_synthetic_configs_load_the_world(
    name, expected_keys, synthetic_world
):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    dataset_cfg = cfg.test_dataloader.dataset.to_dict()
    dataset_cfg['data_root'] = str(synthetic_world)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) > 0 and dataset.missing_video_ids == []
    item = dataset[0]
    sample = item['data_samples']
    assert set(sample.keys()) == expected_keys
    assert item['inputs']['frames'].shape[1:] == (3, 32, 32)
    if 'gt_answer' in expected_keys:
        assert sample.answer == dataset.texts[0]['answer']
