"""A video subset (``indices``) seen identically by every view, and
per-epoch caption sampling reaching persistent DataLoader workers."""

import copy
import pickle

import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from hbi.datasets import MSRVTTRetrievalDataset
from hbi.datasets.shared_epoch import SharedEpoch

# video0 has captions 0-2, video1 captions 3-4 (see conftest.TINY_MSRVTT).
CAPTIONS = {
    'video0': [
        'a man talks on a phone in a car',
        'someone is driving and talking',
        'a man in a car',
    ],
    'video1': ['a person drives', 'a blurry man on the phone'],
}


def _dataset(root, **kwargs) -> MSRVTTRetrievalDataset:
    cfg = dict(
        data_root=str(root),
        ann_file='annotations/MSRVTT_data.json',
        list_file='annotations/MSRVTT_train.csv',
        video_pipeline=[
            dict(type='LoadVideoFrames', max_frames=2),
            dict(type='mmaction.Resize', scale=(-1, 16)),
            dict(type='mmaction.CenterCrop', crop_size=16),
        ],
        text_pipeline=[dict(type='TokenizeText', max_length=8)],
        pack=dict(type='PackVideoTextInputs', max_frames=2),
    )
    cfg.update(kwargs)
    return MSRVTTRetrievalDataset(**cfg)


def _views(dataset):
    """(video ids of the video view, [(caption, video id)] of the text
    view, the same of the pair view), read through ``get_data_info``."""
    views = {m: dataset.with_modality(m) for m in ('video', 'text', 'pair')}
    videos = [
        views['video'].get_data_info(i)['video_id']
        for i in range(len(views['video']))
    ]
    texts, pairs = (
        [
            (info['caption'], videos[info['video_index']])
            for info in map(views[m].get_data_info, range(len(views[m])))
        ]
        for m in ('text', 'pair')
    )
    return videos, texts, pairs


@pytest.mark.parametrize(
    'indices, kept',
    [
        (None, ['video0', 'video1']),
        (1, ['video0']),
        (-1, ['video1']),
        ([1], ['video1']),
        ([1, 0], ['video1', 'video0']),
    ],
)
def test_indices_select_videos_in_every_view(msrvtt_root, indices, kept):
    videos, texts, pairs = _views(_dataset(msrvtt_root, indices=indices))
    assert videos == kept
    # Every caption of the kept videos, each with its own video, in the
    # text view and in the pair view alike (annotation order).
    expected = sorted((c, v) for v in kept for c in CAPTIONS[v])
    assert sorted(texts) == sorted(pairs) == expected
    # The evaluation's ground truth: every video of the video view has a
    # caption in the text view (what a per-view cut broke).
    text_to_video = [videos.index(v) for _, v in texts]
    assert np.bincount(text_to_video, minlength=len(videos)).min() > 0


def test_bad_indices(msrvtt_root):
    with pytest.raises(IndexError, match='out of range for 2 videos'):
        _dataset(msrvtt_root, indices=[0, 2])
    with pytest.raises(ValueError, match='repeat'):
        _dataset(msrvtt_root, indices=[1, 1])
    with pytest.raises(ValueError, match='twice'):
        _dataset(msrvtt_root, indices=[1, -1])
    with pytest.raises(TypeError, match='ints'):
        _dataset(msrvtt_root, indices=[0.5])


def _expected_picks(dataset, epoch: int) -> list:
    """The rule of ``caption_sampling='one_per_video'``, from its
    definition: video ``i`` takes caption ``rng.integers(n_i)`` of its own,
    ``rng = default_rng((seed, epoch, i))``."""
    return [
        texts[
            np.random.default_rng((dataset.seed, epoch, i)).integers(
                len(texts)
            )
        ]
        for i, texts in enumerate(dataset.video_texts)
    ]


@pytest.mark.parametrize('persistent', [True, False])
def test_one_per_video_follows_the_epoch_in_workers(msrvtt_root, persistent):
    dataset = _dataset(msrvtt_root, caption_sampling='one_per_video', seed=3)
    epochs = range(6)
    expected = [_expected_picks(dataset, e) for e in epochs]
    assert len({tuple(p) for p in expected}) > 1  # the choice varies
    loader = DataLoader(
        dataset,
        batch_size=2,
        num_workers=2,
        persistent_workers=persistent,
        collate_fn=pseudo_collate,
    )
    seen = []
    for epoch in epochs:
        dataset.set_epoch(epoch)  # what EpochSeedingHook does
        picks = {}
        for batch in loader:
            for sample in batch['data_samples']:
                picks[sample.video_index] = sample.text_index
        seen.append([picks[i] for i in range(len(dataset))])
    assert seen == expected


def test_shared_epoch_copies_are_independent():
    epoch = SharedEpoch(4)
    for twin in (copy.deepcopy(epoch), pickle.loads(pickle.dumps(epoch))):
        assert twin.value == 4
        twin.value = 9
        assert epoch.value == 4
