"""Registries of ``hbi``: children of the mmengine roots, each with the
package that fills it (``locations``), so that ``default_scope='hbi'``
imports what a config names. ``tests/test_registry.py`` imports every
location.

``SCOPE_ONLY`` children hold nothing of hbi's own: they exist so that
building a runner's optimiser, log processor, visualiser backend or sampler
in the ``hbi`` scope finds mmengine's members without mmengine warning that
the ``hbi`` registry tree is missing."""

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
)
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['hbi.models'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['hbi.datasets']
)
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    locations=['hbi.datasets.transforms'],
)
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['hbi.evaluation.metrics']
)
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['hbi.engine.hooks'])
RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, locations=['hbi.engine.runner']
)
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, locations=['hbi.engine.runner']
)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['hbi.engine.optimizers'],
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['hbi.engine.optimizers'],
)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS)
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS)
SCOPE_ONLY = (
    'OPTIM_WRAPPERS',
    'OPTIMIZERS',
    'LOG_PROCESSORS',
    'VISBACKENDS',
    'DATA_SAMPLERS',
)
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
    'PARAM_SCHEDULERS',
    'OPTIM_WRAPPERS',
    'OPTIMIZERS',
    'LOG_PROCESSORS',
    'VISBACKENDS',
    'DATA_SAMPLERS',
    'TOKENIZERS',
]
