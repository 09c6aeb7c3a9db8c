"""Two runs of one config in one process keep their own logs."""

import time
import types

import mmengine.runner.runner as mmengine_runner
from mmengine.config import Config
from torch import nn

from hbi.engine.runner.hbi_runner import HBIRunner


def _runner(cfg_file, work_dir):
    cfg = Config(dict(work_dir=str(work_dir)), filename=str(cfg_file))
    return HBIRunner(
        model=nn.Linear(2, 2),
        work_dir=str(work_dir),
        cfg=cfg,
        default_hooks=dict(),
        default_scope='hbi',
        visualizer=dict(
            type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]
        ),
    )


def test_same_config_same_second_logs_apart(tmp_path, monkeypatch):
    # both runners start in the same second, as on a fast machine
    frozen = types.SimpleNamespace(**vars(time))
    frozen.time = lambda: 1_800_000_000.0
    monkeypatch.setattr(mmengine_runner, 'time', frozen)
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text('')
    first = _runner(cfg_file, tmp_path / 'a')
    second = _runner(cfg_file, tmp_path / 'b')
    # mmengine alone would hand the second run the first one's visualizer
    # (it names both '{stem}_{timestamp}') and so its work_dir
    assert first.experiment_name != second.experiment_name
    assert second.visualizer is not first.visualizer
    backend = second.visualizer.get_backend('LocalVisBackend')
    assert backend._save_dir.startswith(str(tmp_path / 'b'))
    assert second.log_dir.startswith(str(tmp_path / 'b'))
