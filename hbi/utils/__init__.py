from .checkpoint_compat import (
    allow_mmengine_checkpoint_classes,
    trusted_checkpoint_globals,
)
from .config import UnknownConfigKeyError, load_config
from .config_values import ConfigOptionsAction, ConfigValueError
from .launch import destroy_process_group, setup_launcher

__all__ = [
    'allow_mmengine_checkpoint_classes',
    'trusted_checkpoint_globals',
    'UnknownConfigKeyError',
    'ConfigOptionsAction',
    'ConfigValueError',
    'load_config',
    'setup_launcher',
    'destroy_process_group',
]
