"""Records of the videos a training dataset skipped, shared by the main
process and its DataLoader workers through small files in one folder."""

import atexit
import os
import os.path as osp
import shutil
import tempfile
from typing import Optional

from .transforms.video_reader import VideoDecodeError


def make_record_dir(parent: Optional[str]) -> str:
    """A fresh folder for the skip records (under ``parent`` if given),
    removed at exit by the process that made it."""
    if parent:
        os.makedirs(parent, exist_ok=True)
    folder = tempfile.mkdtemp(prefix='hbi_invalid_videos_', dir=parent)
    atexit.register(_remove_record_dir, folder, os.getpid())
    return folder


def _remove_record_dir(folder: str, owner_pid: int) -> None:
    # Forked workers inherit atexit handlers; only the maker removes it.
    if os.getpid() == owner_pid:
        shutil.rmtree(folder, ignore_errors=True)


def append_record(folder: str, error: VideoDecodeError) -> None:
    """Record one skipped video in this process's file under ``folder``."""
    # One small append-only file per process: a single O_APPEND write of one
    # line, so no locking between workers is needed.
    fields = [str(error.video_id), error.path, error.reason]
    line = '\t'.join(' '.join(f.split()) for f in fields) + '\n'
    fd = os.open(
        osp.join(folder, f'skipped_{os.getpid()}.tsv'),
        os.O_WRONLY | os.O_APPEND | os.O_CREAT,
        0o644,
    )
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)


def pop_records(folder: Optional[str]) -> list[dict]:
    """Every record under ``folder`` (``dict(video_id, path, reason)``),
    then the record files removed; ``[]`` without a folder."""
    if folder is None or not osp.isdir(folder):
        return []
    records = []
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        with open(path, encoding='utf-8') as f:
            for line in f:
                video_id, video_path, reason = line.rstrip('\n').split('\t', 2)
                records.append(
                    dict(video_id=video_id, path=video_path, reason=reason)
                )
        os.remove(path)
    return records
