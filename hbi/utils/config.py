"""Loading a config and applying ``--cfg-options`` with typo checks."""
import difflib
from typing import Dict, Optional

from mmengine.config import Config, ConfigDict


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that the config does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _check_key(cfg: Config, dotted: str) -> None:
    node = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    path = []
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit():
            if int(part) >= len(node):
                raise UnknownConfigKeyError(
                    f"config key '{dotted}': index {part} is out of range "
                    f"for '{'.'.join(path)}' (length {len(node)})")
            node = node[int(part)]
        elif isinstance(node, (dict, ConfigDict)) and part in node:
            node = node[part]
        else:
            keys = list(node.keys()) if isinstance(node, dict) else []
            close = difflib.get_close_matches(part, keys, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" \
                if close else ''
            where = '.'.join(path) or 'the top level'
            raise UnknownConfigKeyError(
                f"unknown config key '{dotted}': '{part}' is not a key of "
                f'{where}{hint} (known: {", ".join(sorted(map(str, keys)))})')
        path.append(part)


def load_config(path: str,
                cfg_options: Optional[Dict[str, object]] = None) -> Config:
    """Read ``path`` and merge ``cfg_options`` after checking every key
    exists, so that a typo is an error instead of a silently ignored value.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        for key in cfg_options:
            _check_key(cfg, key)
        cfg.merge_from_dict(cfg_options)
    return cfg
