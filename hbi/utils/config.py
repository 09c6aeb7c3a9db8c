"""Loading a config and applying ``--cfg-options`` with typo checks."""

import difflib
import inspect
from typing import Dict, Optional, Set

from mmengine.config import Config, ConfigDict


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that the config does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _constructor_args(type_name) -> Set[str]:
    """Argument names of the class a config ``type`` names (searched in
    every mmengine registry under the ``hbi`` scope), over its MRO."""
    import mmengine.registry as registries

    import hbi.registry  # noqa: F401  (children register their scope)

    if not isinstance(type_name, str):
        cls = type_name
    else:
        cls = None
        names = (
            [type_name]
            if '.' in type_name
            else [f'hbi.{type_name}', type_name]
        )
        for name in registries.__all__:
            registry = getattr(registries, name)
            if isinstance(registry, registries.Registry):
                cls = next((c for c in map(registry.get, names) if c), None)
                if cls is not None:
                    break
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


def _check_key(cfg: Config, dotted: str) -> None:
    node = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    path = []
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit():
            if int(part) >= len(node):
                raise UnknownConfigKeyError(
                    f"config key '{dotted}': index {part} is out of range "
                    f"for '{'.'.join(path)}' (length {len(node)})"
                )
            node = node[int(part)]
        elif isinstance(node, (dict, ConfigDict)) and part in node:
            node = node[part]
        elif (
            isinstance(node, (dict, ConfigDict))
            and 'type' in node
            and part == dotted.split('.')[-1]
            and part in _constructor_args(node['type'])
        ):
            return  # a constructor argument the config leaves at default
        else:
            keys = list(node.keys()) if isinstance(node, dict) else []
            close = difflib.get_close_matches(part, keys, n=3)
            hint = (
                f'; did you mean {", ".join(repr(c) for c in close)}?'
                if close
                else ''
            )
            where = '.'.join(path) or 'the top level'
            raise UnknownConfigKeyError(
                f"unknown config key '{dotted}': '{part}' is not a key of "
                f'{where}{hint} (known: {", ".join(sorted(map(str, keys)))})'
            )
        path.append(part)


def load_config(
    path: str, cfg_options: Optional[Dict[str, object]] = None
) -> Config:
    """Read ``path`` and merge ``cfg_options`` after checking every key
    exists (or, inside a dict with a ``type``, is an argument of that
    class), so that a typo is an error instead of a silently ignored value.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        for key in cfg_options:
            _check_key(cfg, key)
        cfg.merge_from_dict(cfg_options)
    return cfg
