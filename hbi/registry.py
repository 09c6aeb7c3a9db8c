"""Registries of ``hbi``: children of the mmengine roots, each with the
package that fills it (``locations``), so that ``default_scope='hbi'``
imports what a config names. ``tests/test_registry.py`` imports every
location."""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['hbi.models'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['hbi.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    locations=['hbi.datasets.transforms'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['hbi.evaluation.metrics'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['hbi.engine.hooks'])
RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, locations=['hbi.engine.runner'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['hbi.engine.runner'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['hbi.engine.optimizers'])
# No mmengine root exists for tokenizers.
TOKENIZERS = Registry('tokenizer', locations=['hbi.models.tokenizers'])

__all__ = [
    'MODELS',
    'DATASETS',
    'TRANSFORMS',
    'METRICS',
    'HOOKS',
    'LOOPS',
    'RUNNERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'TOKENIZERS',
]
