import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault('OMP_NUM_THREADS', '2')
# Decoded-frame caches of the tests go to a temporary folder, not to the
# user's ~/.cache (subprocesses inherit it).
_FRAME_CACHE = tempfile.mkdtemp(prefix='hbi_test_frame_cache_')
os.environ['HBI_FRAME_CACHE_DIR'] = _FRAME_CACHE
atexit.register(shutil.rmtree, _FRAME_CACHE, ignore_errors=True)
