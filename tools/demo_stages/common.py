"""What the demo's stages share: a table row, the context, training and
testing a config."""

import importlib.util
import os.path as osp
import resource
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from hbi.engine.runner import HBIRunner
from hbi.utils import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Epochs of each stage's training in the demo (``--epochs`` overrides all).
SCHEDULES = {
    'meanp': 6,
    'banzhaf_teacher': 6,
    'hbi': 6,
    'captioning': 4,
    'videoqa': 3,
}


@dataclass
class DemoRow:
    """One row of the demo's table: a (task, model) and its figures.

    Args:
        task (str): E.g. ``'retrieval'``, ``'captioning'``, ``'QA'``.
        model (str): What was trained.
        figures (dict): Headline figures, in print order (name -> value).
        train_seconds (float): Wall time of the training.
        cpu_seconds (float): CPU time of the whole stage (training and
            testing, data workers included).
        metrics (dict): Every test metric (written to ``metrics.json``).
        digits (int): Decimals printed for the figures. Defaults to 1.
        notes (tuple[str, ...]): Lines printed under the table (each once).
    """

    task: str
    model: str
    figures: Dict[str, float]
    train_seconds: float
    cpu_seconds: float
    metrics: dict = field(default_factory=dict)
    digits: int = 1
    notes: Tuple[str, ...] = ()


def format_demo_table(rows: Sequence[DemoRow]) -> str:
    """The demo's one table: task | model | figures | train s, then the
    rows' notes."""
    lines = [('task', 'model', 'figures', 'train s')]
    for row in rows:
        figures = '  '.join(
            f'{name} {value:5.{row.digits}f}'
            for name, value in row.figures.items()
        )
        lines.append(
            (row.task, row.model, figures, f'{row.train_seconds:.0f}')
        )
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = [
        ' | '.join(
            cell.rjust(w) if i == 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    out.insert(1, '-+-'.join('-' * w for w in widths))
    notes = dict.fromkeys(note for row in rows for note in row.notes)
    return '\n'.join(out + [f'* {note}' for note in notes])


@dataclass
class DemoContext:
    """What the stages share.

    Args:
        data_root (str): The synthetic world.
        work_dir (str): Each stage works in a sub-folder of it.
        epochs (int, optional): Overrides every stage's epochs.
        with_teacher (bool): Train the Banzhaf teacher and distil HBI from
            it (the full recipe); False trains HBI without its Banzhaf terms.
        artifacts (dict): Files stages leave for later ones.
    """

    data_root: str
    work_dir: str
    epochs: Optional[int] = None
    with_teacher: bool = True
    artifacts: Dict[str, str] = field(default_factory=dict)

    def schedule(self, stage: str) -> int:
        return self.epochs or SCHEDULES[stage]


Stage = Callable[[DemoContext], List[DemoRow]]


def load_module(relative_path: str):
    path = osp.join(ROOT, relative_path)
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f'hbi_demo_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (data workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in (own, children))


def best_checkpoint(runner) -> str:
    best = next(
        (
            h.best_ckpt_path
            for h in runner.hooks
            if isinstance(h, CheckpointHook)
            and getattr(h, 'best_ckpt_path', None)
        ),
        None,
    )
    return best or osp.join(runner.work_dir, f'epoch_{runner.epoch}.pth')


def run_options(data_root: str, epochs: int) -> Dict[str, object]:
    """The world at ``data_root`` in every loader; ``epochs`` epochs (the
    configs' schedules follow ``max_epochs``), validated once, at the end.
    """
    return {
        'data_root': data_root,
        'max_epochs': epochs,
        'train_cfg.val_interval': epochs,
    }


def _current(cfg, key: str):
    node = cfg
    for part in key.split('.'):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None:
            return None
    return node


def changes_only(config: str, options: Dict[str, object]) -> dict:
    """``options`` without those the config already holds: an override of
    a variable that changes nothing is refused (config_overrides.md)."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    return {k: v for k, v in options.items() if _current(cfg, k) != v}


def train_and_test(
    config: str, work_dir: str, options: Dict[str, object]
) -> Tuple[dict, str, float, float]:
    """Train ``config`` with ``--cfg-options``-style ``options``, then test
    its best validation checkpoint.

    Returns:
        tuple: (test metrics, best checkpoint, train wall seconds, stage CPU
        seconds).
    """
    return train_and_test_runner(config, work_dir, options)[:4]


def train_and_test_runner(
    config: str, work_dir: str, options: Dict[str, object]
) -> tuple:
    """:func:`train_and_test`, with the runner last (its model and
    datasets, for a stage's baselines)."""
    cfg = load_config(osp.join(ROOT, config), changes_only(config, options))
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cpu = cpu_seconds()
    runner = HBIRunner.from_cfg(cfg)
    start = time.time()
    runner.train()
    train_s = time.time() - start
    best = best_checkpoint(runner)
    runner.load_checkpoint(best)
    metrics = runner.test()
    return metrics, best, train_s, cpu_seconds() - cpu, runner


def baseline_row(task, model, figures, notes=()) -> DemoRow:
    return DemoRow(task, model, figures, 0.0, 0.0, dict(figures), 1, notes)
