"""Loading a config and applying ``--cfg-options``: every override takes
effect or is refused with a message naming the key.

The rules (docs/en/user_guides/config_overrides.md):

- every key must exist (or, inside a dict with a ``type``, be an argument
  of that class); a typo is an error with suggestions;
- a value is converted to and checked against the type of the value the key
  holds, or the constructor argument's annotation
  (:mod:`hbi.utils.config_values`);
- a top-level variable (a key the runner does not read, e.g. ``data_root``,
  ``max_epochs``) is overridden before the config is evaluated, so every
  setting computed from it follows; an override that changes no setting is
  refused (:mod:`hbi.utils.config_variables`);
- a setting (``train_dataloader.batch_size``) is merged after evaluation, as
  mmengine does; ``train_cfg.max_epochs`` goes to the top-level
  ``max_epochs`` it is computed from, and settings left at the old number of
  epochs are refused (:mod:`hbi.utils.config_schedule`).
"""

import copy
import difflib
import inspect
from typing import Any, Dict, Optional, Set, Tuple

from mmengine.config import Config, ConfigDict

from .config_schedule import check_epoch_schedule, route_epochs_to_variable
from .config_values import (
    ANYTHING,
    Expected,
    constructor_parameter,
    convert_options,
    expected_for_parameter,
    expected_from_value,
)
from .config_variables import (
    check_variable_effect,
    evaluate_with_variables,
    is_variable,
)

_MISSING = object()


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that the config does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _config_class(type_name: Any) -> Any:
    """The class a config ``type`` names (searched in every mmengine
    registry under the ``hbi`` scope), or None."""
    import mmengine.registry as registries

    import hbi.registry  # noqa: F401  (children register their scope)

    if not isinstance(type_name, str):
        return type_name
    names = [type_name] if '.' in type_name else [f'hbi.{type_name}']
    names.append(type_name)
    for name in registries.__all__:
        registry = getattr(registries, name)
        if isinstance(registry, registries.Registry):
            cls = next((c for c in map(registry.get, names) if c), None)
            if cls is not None:
                return cls
    return None


def _constructor_args(type_name: Any) -> Set[str]:
    """Argument names of the class a config ``type`` names, over its MRO."""
    cls = _config_class(type_name)
    if cls is None:
        return set()
    names: Set[str] = set()
    for klass in getattr(cls, '__mro__', [cls]):
        init = getattr(klass, '__init__', None)
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names |= {
            p.name
            for p in params
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
    return names - {'self'}


def _nested_paths(node: Any, name: str, path=()) -> list:
    """Dotted paths of keys called ``name`` anywhere under ``node``."""
    found = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, (list, tuple))
        else ()
    )
    for key, child in items:
        here = (*path, str(key))
        if key == name:
            found.append('.'.join(here))
        found += _nested_paths(child, name, here)
    return found


def _resolve(cfg: Config, dotted: str) -> Tuple[Any, Expected]:
    """The value ``dotted`` holds (``_MISSING`` for a constructor argument
    the config leaves at default) and what the key accepts.

    Raises:
        UnknownConfigKeyError: Naming the key, with suggestions.
    """
    node = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    path, parts = [], dotted.split('.')
    parent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, (list, tuple)) and part.isdigit():
            if int(part) >= len(node):
                raise UnknownConfigKeyError(
                    f"config key '{dotted}': index {part} is out of range "
                    f"for '{'.'.join(path)}' (length {len(node)})"
                )
            parent, node = None, node[int(part)]
        elif isinstance(node, (dict, ConfigDict)) and part in node:
            parent, node = node, node[part]
        elif (
            isinstance(node, (dict, ConfigDict))
            and 'type' in node
            and last
            and part in _constructor_args(node['type'])
        ):
            param = constructor_parameter(_config_class(node['type']), part)
            return _MISSING, expected_for_parameter(param)
        else:
            raise UnknownConfigKeyError(
                _unknown_key_message(cfg, dotted, node, part, path)
            )
        path.append(part)
    annotation = ANYTHING
    if isinstance(parent, dict) and 'type' in parent:
        cls = _config_class(parent['type'])
        if cls is not None:
            annotation = expected_for_parameter(
                constructor_parameter(cls, parts[-1])
            )
    return node, expected_from_value(node, annotation)


def _unknown_key_message(cfg, dotted, node, part, path) -> str:
    keys = list(node.keys()) if isinstance(node, dict) else []
    close = difflib.get_close_matches(part, keys, n=3)
    hint = (
        f'; did you mean {", ".join(repr(c) for c in close)}?' if close else ''
    )
    if not path:
        nested = _nested_paths(cfg._cfg_dict, part)
        if nested:
            hint += f' (it exists as {", ".join(nested[:5])})'
    where = '.'.join(path) or 'the top level'
    return (
        f"unknown config key '{dotted}': '{part}' is not a key of "
        f'{where}{hint} (known: {", ".join(sorted(map(str, keys)))})'
    )


def _check_key(cfg: Config, dotted: str) -> None:
    _resolve(cfg, dotted)


def load_config(
    path: str, cfg_options: Optional[Dict[str, object]] = None
) -> Config:
    """Read the config ``path`` and apply ``cfg_options``; see the module
    docstring for the rules.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``{dotted key: value}``; a
            :class:`hbi.utils.config_values.CommandLineValue` (what
            ``--cfg-options`` gives) is converted to the key's type, any
            other value is checked against it.

    Returns:
        Config: The config with every override in effect.

    Raises:
        UnknownConfigKeyError: A key the config does not have.
        ConfigValueError: A value of the wrong type, an override that
            would change nothing, or settings left behind by a change of
            the number of epochs (each message names the keys).
    """
    cfg = Config.fromfile(path)
    if not cfg_options:
        return cfg
    evaluated: Dict[str, Config] = {}

    def evaluate(pins: Dict[str, Any]) -> Config:
        key = repr(sorted(pins.items()))
        if key not in evaluated:
            evaluated[key] = evaluate_with_variables(path, pins)
        return evaluated[key]

    options = convert_options(
        dict(cfg_options), lambda key: _like(*_resolve(cfg, key))
    )
    options = route_epochs_to_variable(cfg, options, evaluate)
    variables = {
        k: v for k, v in options.items() if is_variable(k.split('.')[0])
    }
    result = evaluate(variables) if variables else cfg
    for key, value in variables.items():
        check_variable_effect(cfg, evaluate({key: value}), key, value)
    result = copy.deepcopy(result)
    result.merge_from_dict(options)
    check_epoch_schedule(cfg, result, options)
    return result


def _like(value: Any, expected: Expected) -> Tuple[Any, Expected]:
    return (None if value is _MISSING else value), expected
