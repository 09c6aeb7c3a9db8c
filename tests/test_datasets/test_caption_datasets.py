"""MSVDCaptionDataset at its real split sizes, and caption data errors."""

import json
import pickle

import pytest

from hbi.datasets import MSRVTTCaptionDataset, MSVDCaptionDataset
from hbi.registry import DATASETS

# MSVD (CLIP4Clip's split): 1,200 / 100 / 670 videos, about 40 captions.
MSVD_SPLITS = (('train', 1200), ('val', 100), ('test', 670))


@pytest.fixture(scope='module')
def msvd_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('msvd')
    captions, first = {}, 0
    for split, count in MSVD_SPLITS:
        ids = [
            f'clip{k:04d}_{k % 7}_{k % 5}' for k in range(first, first + count)
        ]
        first += count
        (root / f'{split}_list.txt').write_text('\n'.join(ids) + '\n')
        for k, video_id in enumerate(ids):
            captions[video_id] = [
                ['a', 'caption', str(j), 'of', video_id]
                for j in range(38 + k % 5)
            ]
    with open(root / 'raw-captions.pkl', 'wb') as f:
        pickle.dump(captions, f)
    (root / 'YouTubeClips').mkdir()
    return root


@pytest.mark.parametrize('split, count', MSVD_SPLITS)
def test_msvd_caption_splits(msvd_root, split, count):
    ds = DATASETS.build(
        dict(
            type='MSVDCaptionDataset',
            data_root=str(msvd_root),
            list_file=f'{split}_list.txt',
            data_prefix=dict(video='YouTubeClips'),
            modality='video',
            test_mode=True,
        )
    )
    assert isinstance(ds, MSVDCaptionDataset) and len(ds) == count
    info = ds.get_data_info(3)
    video_id = info['video_id']
    assert info['gt_captions'] == [
        f'a caption {j} of {video_id}' for j in range(38 + 3 % 5)
    ]
    assert info['video_path'].endswith(f'YouTubeClips/{video_id}.avi')
    pairs = ds.with_modality('pair')
    assert len(pairs) == sum(38 + k % 5 for k in range(count))


def test_evaluated_video_without_reference_is_named(msrvtt_root):
    path = msrvtt_root / 'annotations' / 'MSRVTT_data.json'
    ann = json.loads(path.read_text())
    ann['sentences'] = [
        s for s in ann['sentences'] if s['video_id'] != 'video3'
    ]
    path.write_text(json.dumps(ann))
    cfg = dict(
        data_root=str(msrvtt_root),
        ann_file='annotations/MSRVTT_data.json',
        split='test',
        modality='video',
    )
    with pytest.raises(ValueError, match=r"no reference caption.*'video3'"):
        MSRVTTCaptionDataset(**cfg, test_mode=True)
    # Training only skips it (the base dataset warns).
    train = MSRVTTCaptionDataset(**dict(cfg, modality='pair'))
    assert {train.get_data_info(i)['video_id'] for i in range(len(train))} == {
        'video2'
    }


def test_caption_line_without_its_field_names_file_and_line(msrvtt_root):
    path = msrvtt_root / 'annotations' / 'MSRVTT_data.json'
    ann = json.loads(path.read_text())
    del ann['sentences'][4]['caption']
    path.write_text(json.dumps(ann))
    with pytest.raises(
        ValueError,
        match=r'MSRVTT_data.json: sentences\[4\]: missing field '
        r"'caption'",
    ):
        MSRVTTCaptionDataset(
            data_root=str(msrvtt_root),
            ann_file='annotations/MSRVTT_data.json',
            split='test',
        )


def test_msvd_caption_entry_errors_name_file_video_and_caption(tmp_path):
    (tmp_path / 'test_list.txt').write_text('vid_a\nvid_b\n')
    with open(tmp_path / 'raw-captions.pkl', 'wb') as f:
        pickle.dump({'vid_a': [['a', 'dog']], 'vid_b': [['a', 'cat'], 7]}, f)
    with pytest.raises(
        ValueError, match=r"raw-captions.pkl: video 'vid_b' caption 1"
    ):
        MSVDCaptionDataset(data_root=str(tmp_path), list_file='test_list.txt')
