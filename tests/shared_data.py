"""The small real files the tests read, carried with the project.

``tests/data/`` holds copies of files that users of the project would meet
(``tests/data/README.md`` lists them and where they come from):

- ``checkpoint_layouts.json``: parameter names and shapes (no values) of
  OpenAI CLIP ViT-B/32, the released HBI retrieval checkpoint and the
  released MSRVTT-QA checkpoint;
- ``msrvtt/``: the MSR-VTT annotation files as the community distributes
  them (the 1k-A test list, the 9k training list, MSRVTT-QA's ``val.jsonl``
  (stored gzip-compressed) and its ``train_ans2label.json``).

Tests import :data:`LAYOUTS` and :data:`MSRVTT` from here and never need
anything outside the repository. :data:`MSRVTT` is a directory with every
file uncompressed (``val.jsonl.gz`` is unpacked once into the temporary
directory, under a name that changes with the file's content).

:data:`SHARED` is the project's development data folder when one is present
(``$HBI_SHARED_DIR``, or ``shared/`` two levels above the checkout), else
``None``; only ``tests/test_carried_data.py`` reads it, to check that the
carried copies are still the originals.
"""

import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

DATA = Path(__file__).resolve().parent / 'data'
LAYOUTS = DATA / 'checkpoint_layouts.json'
CARRIED_MSRVTT = DATA / 'msrvtt'


def _unpacked(folder: Path) -> Path:
    """A directory with ``folder``'s files, ``*.gz`` ones decompressed.

    The directory is keyed by the content of the files, so a changed copy
    never meets a stale unpacked one; it is built under a private name and
    renamed into place, so concurrent test processes cannot see half of it.
    """
    files = sorted(p for p in folder.iterdir() if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    target = Path(tempfile.gettempdir()) / (
        f'hbi-tests-{folder.name}-{digest.hexdigest()[:16]}'
    )
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=target.name + '.'))
    for path in files:
        if path.suffix == '.gz':
            with gzip.open(path, 'rb') as src:
                (staging / path.stem).write_bytes(src.read())
        else:
            shutil.copyfile(path, staging / path.name)
    try:
        os.replace(staging, target)
    except OSError:  # another process got there first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _shared_folder() -> Optional[Path]:
    path = Path(
        os.environ.get(
            'HBI_SHARED_DIR', Path(__file__).resolve().parents[2] / 'shared'
        )
    )
    return path if path.is_dir() else None


MSRVTT = _unpacked(CARRIED_MSRVTT)
SHARED = _shared_folder()
