"""Overriding a config's top-level variables before the config is evaluated.

A config computes settings from top-level variables (``data_root=data_root``
in every dataloader, ``end=max_epochs`` in the schedule). mmengine merges
``--cfg-options`` into the evaluated config, so ``data_root=DIR`` would only
change the variable and no loader. Here an override of a variable is applied
right after every top-level assignment of that variable, in every file of
the ``_base_`` chain, before the lines after it run: the config is evaluated
as if the user had edited those lines, and everything computed from the
variable follows. mmengine has no hook for this; we swap the AST transformer
its ``Config._file2dict`` applies to each file (mmengine 0.10.x) for one that
also inserts these assignments, only while :func:`load_with_variables` runs.
"""

import ast
import copy
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from mmengine.config import Config
from mmengine.config.utils import RemoveAssignFromAST

from .config_values import ConfigValueError, first_difference

#: Top-level keys read by mmengine's Runner (``Runner.from_cfg``, the config
#: loader) or by ``tools/train.py``: settings. Every other top-level key is a
#: variable, a building block the settings are computed from.
RUNNER_KEYS = frozenset(
    (
        'model',
        'work_dir',
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'train_cfg',
        'val_cfg',
        'test_cfg',
        'auto_scale_lr',
        'optim_wrapper',
        'param_scheduler',
        'val_evaluator',
        'test_evaluator',
        'default_hooks',
        'custom_hooks',
        'data_preprocessor',
        'load_from',
        'resume',
        'launcher',
        'env_cfg',
        'log_processor',
        'log_level',
        'visualizer',
        'default_scope',
        'randomness',
        'experiment_name',
        'model_wrapper_cfg',
        'compile',
        'custom_imports',
        'global_batch_size',
    )
)

_PIN_FUNCTION = '__hbi_pinned_value__'
# name -> [(path inside the variable, value)], set by _pinning().
_ACTIVE_PINS: Dict[str, List[Tuple[Tuple[str, ...], Any]]] = {}


def is_variable(top_level_key: str) -> bool:
    """Whether an override of this top-level key is applied before the
    config is evaluated (a variable), not merged after (a setting)."""
    return top_level_key not in RUNNER_KEYS


def _set_path(node: Any, path: Sequence[str], value: Any, name: str) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(node, (list, tuple)):
        if not head.isdigit() or int(head) >= len(node):
            raise ConfigValueError(
                f'{name}: index {head} is not in a list of {len(node)}'
            )
        items = list(node)
        items[int(head)] = (
            _set_path(items[int(head)], rest, value, name) if rest else value
        )
        return type(node)(items)
    if not isinstance(node, dict):
        raise ConfigValueError(
            f'{name}: cannot set {head!r} inside {type(node).__name__} '
            f'{node!r}'
        )
    node[head] = (
        _set_path(node.get(head, {}), rest, value, name) if (rest) else value
    )
    return node


def __hbi_pinned_value__(name: str, value: Any) -> Any:  # noqa: N807
    """Called by the rewritten config code after each assignment of
    ``name``: the value with the overrides of ``name`` applied."""
    for path, new in _ACTIVE_PINS.get(name, ()):
        if not path:
            value = copy.deepcopy(new)
        else:
            value = _set_path(copy.deepcopy(value), path, new, name)
    return value


def _assigned_names(target: ast.AST) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for t in target.elts for n in _assigned_names(t)]
    if isinstance(target, ast.Starred):
        return _assigned_names(target.value)
    return []


def _statement_names(stmt: ast.stmt) -> List[str]:
    if isinstance(stmt, ast.Assign):
        return [n for t in stmt.targets for n in _assigned_names(t)]
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and (
        not isinstance(stmt, ast.AnnAssign) or stmt.value is not None
    ):
        return _assigned_names(stmt.target)
    return []


def _pin_statement(name: str) -> ast.stmt:
    return ast.parse(f'{name} = {_PIN_FUNCTION}({name!r}, {name})').body[0]


def _pin_block(body: List[ast.stmt]) -> List[ast.stmt]:
    out: List[ast.stmt] = []
    for stmt in body:
        if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            for field in ('body', 'orelse', 'finalbody'):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block:
                    setattr(stmt, field, _pin_block(block))
            for handler in getattr(stmt, 'handlers', []):
                handler.body = _pin_block(handler.body)
        out.append(stmt)
        out += [
            _pin_statement(name)
            for name in dict.fromkeys(_statement_names(stmt))
            if name in _ACTIVE_PINS
        ]
    return out


class _PinningTransformer(RemoveAssignFromAST):
    """mmengine's transformer (drops ``_base_ = ...``) that also applies the
    active overrides after each top-level assignment of a variable."""

    def visit(self, node: ast.AST) -> ast.AST:
        node = super().visit(node)
        if isinstance(node, ast.Module):
            load = ast.parse(f'from {__name__} import {_PIN_FUNCTION}').body[0]
            node.body = [load, *_pin_block(node.body)]
            ast.fix_missing_locations(node)
        return node


@contextmanager
def _pinning(pins: Dict[str, List[Tuple[Tuple[str, ...], Any]]]) -> Iterator:
    import mmengine.config.config as mmengine_config

    if getattr(mmengine_config, 'RemoveAssignFromAST', None) is not (
        RemoveAssignFromAST
    ):
        raise RuntimeError(
            'this mmengine version does not evaluate configs through '
            'mmengine.config.config.RemoveAssignFromAST; overriding top-level '
            'config variables needs mmengine 0.10.x'
        )
    _ACTIVE_PINS.clear()
    _ACTIVE_PINS.update(pins)
    mmengine_config.RemoveAssignFromAST = _PinningTransformer
    try:
        yield
    finally:
        mmengine_config.RemoveAssignFromAST = RemoveAssignFromAST
        _ACTIVE_PINS.clear()


def evaluate_with_variables(path: str, overrides: Dict[str, Any]) -> Config:
    """Read the config ``path`` with ``overrides`` (dotted keys whose first
    part is a top-level variable) applied where the variables are assigned.
    """
    if Config._is_lazy_import(path):
        raise ConfigValueError(
            f'{path} is a pure-Python (read_base) config: its top-level '
            f'variables {sorted(overrides)} cannot be overridden; edit it'
        )
    pins: Dict[str, List[Tuple[Tuple[str, ...], Any]]] = {}
    for key, value in overrides.items():
        name, *path_in = key.split('.')
        pins.setdefault(name, []).append((tuple(path_in), value))
    with _pinning(pins):
        cfg = Config.fromfile(path)
    for key, value in overrides.items():
        if '.' not in key and cfg.get(key) != value:
            raise RuntimeError(
                f'overriding the config variable {key!r} did not take effect '
                f'({cfg.get(key)!r} instead of {value!r})'
            )
    return cfg


def _settings(cfg: Config) -> dict:
    return {k: v for k, v in cfg.to_dict().items() if k in RUNNER_KEYS}


def _leaves_equal_to(node: Any, value: Any, path: Sequence[str] = ()):
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _leaves_equal_to(child, value, [*path, str(key)])
    elif isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            yield from _leaves_equal_to(child, value, [*path, str(i)])
    elif type(node) is type(value) and node == value:
        yield '.'.join(path)
    elif (
        isinstance(value, str)
        and isinstance(node, str)
        and value
        and node.startswith(value.rstrip('/') + '/')
    ):
        yield '.'.join(path)


def check_variable_effect(
    before: Config, after: Config, key: str, value: Any
) -> None:
    """Refuse an override of a variable that changed no setting, or a string
    variable (a path) that some setting still holds the old value of.

    Raises:
        ConfigValueError: Naming the override, and the settings that hold
            the old value (the keys to set instead).
    """
    name = key.split('.')[0]
    changed = first_difference(_settings(before), _settings(after))
    old = before.get(name)
    same = [
        p for p in _leaves_equal_to(_settings(after), old) if p not in changed
    ]
    if not changed:
        hint = (
            f'; settings that hold the same value {old!r}: '
            f'{", ".join(same[:8])} (override those instead)'
            if same and '.' not in key
            else ''
        )
        raise ConfigValueError(
            f'--cfg-options {key}={value!r} would change nothing: no setting '
            f"of {before.filename} is computed from the variable '{name}'"
            f'{hint}'
        )
    if isinstance(old, str) and '.' not in key and same:
        raise ConfigValueError(
            f'--cfg-options {key}={value!r} reached {", ".join(changed[:8])} '
            f'but not {", ".join(same[:8])}, which the config sets to '
            f'{old!r} without the variable: override them too'
        )
