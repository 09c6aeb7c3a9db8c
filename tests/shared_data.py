"""Where the project's shared data lives: ``shared/`` beside the checkout
(as on the developers' machines and in CI), or ``$HBI_SHARED_DIR``."""

import os
from pathlib import Path

SHARED = Path(
    os.environ.get(
        'HBI_SHARED_DIR', Path(__file__).resolve().parents[2] / 'shared'
    )
)
LAYOUTS = SHARED / 'reference' / 'checkpoint_layouts.json'
MSRVTT = SHARED / 'data' / 'msrvtt'
