"""Keeping the schedule in step with an overridden number of epochs.

``train_cfg.max_epochs=1`` merged into a config whose warm-up/cosine
schedule and validation interval were written for 8 epochs would train one
epoch of an 8-epoch schedule and never validate. When the config computes
``train_cfg.max_epochs`` from its top-level ``max_epochs`` (the project's
rule, docs/en/user_guides/config_overrides.md), the override is applied to
that variable, so every setting computed from it follows; otherwise the
settings left behind are named and the override refused.
"""

import math
from typing import Any, Callable, Dict, List

from mmengine.config import Config

from .config_values import ConfigValueError

EPOCHS_KEY = 'train_cfg.max_epochs'


def route_epochs_to_variable(
    cfg: Config,
    options: Dict[str, Any],
    evaluate: Callable[[Dict[str, Any]], Config],
) -> Dict[str, Any]:
    """Add ``max_epochs=N`` to ``options`` holding ``train_cfg.max_epochs=N``
    when the config computes ``train_cfg.max_epochs`` from its top-level
    ``max_epochs`` (found by evaluating it with that variable set to N:
    ``evaluate(overrides)`` reads the config with variables overridden).

    Raises:
        ConfigValueError: ``max_epochs`` and ``train_cfg.max_epochs`` are both
            given with different values.
    """
    if EPOCHS_KEY not in options:
        return options
    epochs = options[EPOCHS_KEY]
    if 'max_epochs' in options:
        if options['max_epochs'] != epochs:
            raise ConfigValueError(
                f'--cfg-options max_epochs={options["max_epochs"]!r} and '
                f'{EPOCHS_KEY}={epochs!r} disagree; give one of them'
            )
        return options
    if not isinstance(cfg.get('max_epochs'), int) or epochs == cfg.get(
        'max_epochs'
    ):
        return options
    pinned = evaluate({'max_epochs': epochs})
    if (pinned.get('train_cfg') or {}).get('max_epochs') == epochs:
        return dict(options, max_epochs=epochs)
    return options


def _schedulers(cfg: Config) -> List[dict]:
    schedulers = cfg.get('param_scheduler') or []
    return [schedulers] if isinstance(schedulers, dict) else list(schedulers)


def check_epoch_schedule(
    before: Config, after: Config, options: Dict[str, Any]
) -> None:
    """Refuse a change of ``train_cfg.max_epochs`` that leaves behind
    settings written for the old number of epochs.

    Checked when the overrides change ``train_cfg.max_epochs`` from E0 to E1:
    an epoch-based scheduler whose ``end`` was E0 and did not move, or ends
    after E1, or whose ``begin`` is no longer before its ``end``; a
    ``train_cfg.val_interval`` that was E0 and did not move, or exceeds E1.
    Keys the overrides set themselves are taken as meant.

    Raises:
        ConfigValueError: Naming every such key, its value and the value to
            set it to.
    """
    old = (before.get('train_cfg') or {}).get('max_epochs')
    new = (after.get('train_cfg') or {}).get('max_epochs')
    if old is None or new is None or old == new:
        return
    stale: List[str] = []
    fixes: List[str] = []
    old_schedulers = _schedulers(before)
    for i, scheduler in enumerate(_schedulers(after)):
        if not scheduler.get('by_epoch', True):
            continue
        key = f'param_scheduler.{i}'
        name = scheduler.get('type', 'scheduler')
        end, begin = scheduler.get('end', math.inf), scheduler.get('begin', 0)
        was = (
            old_schedulers[i].get('end', math.inf)
            if i < len(old_schedulers)
            else None
        )
        if f'{key}.end' not in options and (
            (was == old and end == was) or end > new
        ):
            stale.append(f'{key}.end={end} ({name} ends after epoch {new})')
            fixes.append(f'{key}.end={new}')
        elif begin >= min(end, new) and f'{key}.begin' not in options:
            stale.append(
                f'{key}.begin={begin} ({name} starts at or after its end '
                f'{min(end, new)})'
            )
            fixes.append(f'{key}.begin=<epoch before {min(end, new)}>')
    interval = after.train_cfg.get('val_interval', 1)
    was_interval = before.train_cfg.get('val_interval', 1)
    if 'train_cfg.val_interval' not in options and (
        (was_interval == old and interval == was_interval) or interval > new
    ):
        stale.append(
            f'train_cfg.val_interval={interval} (validation would not run '
            f'in {new} epochs)'
        )
        fixes.append(f'train_cfg.val_interval={new}')
    if not stale:
        return
    variable = (
        ''
        if before.get('max_epochs', old) == old
        else (
            f' (its top-level max_epochs={before.max_epochs} is not what '
            'train_cfg.max_epochs is computed from, so overriding it would '
            'not help)'
        )
    )
    raise ConfigValueError(
        f'{EPOCHS_KEY}={new} (was {old}) leaves settings written for {old} '
        f'epochs unchanged in {before.filename}{variable}: '
        f'{"; ".join(stale)}. Override them too, e.g. --cfg-options '
        f'{EPOCHS_KEY}={new} {" ".join(fixes)}'
    )
