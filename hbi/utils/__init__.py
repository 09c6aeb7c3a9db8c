from .checkpoint_compat import (
    allow_mmengine_checkpoint_classes,
    trusted_checkpoint_globals,
)
from .checkpoint_files import CheckpointFileError, load_checkpoint_file
from .config import UnknownConfigKeyError, load_config
from .config_values import ConfigOptionsAction, ConfigValueError
from .launch import destroy_process_group, setup_launcher

__all__ = [
    'allow_mmengine_checkpoint_classes',
    'trusted_checkpoint_globals',
    'CheckpointFileError',
    'load_checkpoint_file',
    'UnknownConfigKeyError',
    'ConfigOptionsAction',
    'ConfigValueError',
    'load_config',
    'setup_launcher',
    'destroy_process_group',
]
