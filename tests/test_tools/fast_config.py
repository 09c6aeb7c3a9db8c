"""Helpers shared by the tools tests: a fast config and tool loading."""

import importlib.util
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
BASE_CONFIG = ROOT / (
    'configs/retrieval/clip4clip/'
    'clip4clip_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)
HBI_CONFIG = ROOT / (
    'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)


def load_generator():
    path = ROOT / 'tools/data/synthetic/generate_synthetic_world.py'
    spec = importlib.util.spec_from_file_location('synthetic_world_gen', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tool(name: str):
    """Import ``tools/<name>.py`` by path (``test`` would clash with the
    standard library's ``test`` package)."""
    spec = importlib.util.spec_from_file_location(
        f'hbi_tools_{name}', ROOT / 'tools' / f'{name}.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_fast_config(
    path: Path, data_root: Path, base: Path = BASE_CONFIG, **extra
) -> Path:
    """A config inheriting the demo config (or ``base``), shrunk to run in
    seconds: towers of width 32 with one block each."""
    lines = [
        f'_base_ = [{str(base)!r}]',
        "arch = dict(_delete_=True, base='tiny', embed_dim=32, "
        'vision=dict(width=32, layers=1, heads=2), '
        'text=dict(width=32, layers=1, heads=2))',
        'model = dict(text_encoder=dict(arch=arch), '
        'video_encoder=dict(arch=arch))',
        'max_epochs = 2',
        'train_cfg = dict(max_epochs=max_epochs, val_interval=1)',
        "param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, "
        'begin=0, end=max_epochs, convert_to_iter_based=True)]',
        f'data_root = {str(data_root)!r}',
        'train_dataloader = dict(batch_size=8, num_workers=0, '
        'dataset=dict(data_root=data_root))',
        'val_dataloader = dict(batch_size=8, num_workers=0, '
        'dataset=dict(data_root=data_root))',
        'test_dataloader = dict(batch_size=8, num_workers=0, '
        'dataset=dict(data_root=data_root))',
        'default_hooks = dict(logger=dict(interval=1))',
    ] + [f'{k} = {v!r}' for k, v in extra.items()]
    path.write_text('\n'.join(lines) + '\n')
    return path


def write_fast_hbi_config(
    path: Path,
    data_root: Path,
    teacher: Path,
    head: Optional[dict] = None,
    **extra,
) -> Path:
    """:func:`write_fast_config` of the synthetic HBI config: width-32 towers,
    a one-block seqTransf copied from the text tower, the 3-level head with
    its Banzhaf terms on (teacher: the estimator file ``teacher``) and the
    other head arguments in ``head``."""
    path = write_fast_config(path, data_root, base=HBI_CONFIG, **extra)
    head = dict(head or {}, embed_dim=32, teacher_checkpoint=str(teacher))
    path.write_text(
        path.read_text()
        + 'model.update(temporal=dict(width=32, num_layers=1, num_heads=2), '
        f'head={head!r})\n'
    )
    return path


def tool_args(cfg: Path, work_dir: Path, *options: str) -> list:
    """``CONFIG --work-dir DIR [--cfg-options OPTIONS]`` for a tool."""
    args = [str(cfg), '--work-dir', str(work_dir)]
    return args + (['--cfg-options', *options] if options else [])
