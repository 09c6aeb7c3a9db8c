import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.registry import Registry

import hbi.registry

ROOT = Path(__file__).resolve().parents[1]

REGISTRIES = hbi.registry.__all__


@pytest.mark.parametrize('name', REGISTRIES)
def test_every_registry_location_imports(name):
    registry = getattr(hbi.registry, name)
    assert isinstance(registry, Registry)
    if name in hbi.registry.SCOPE_ONLY:
        assert registry.parent is not None and not registry._locations
        return
    assert registry._locations, f'{name} declares no locations'
    for module in registry._locations:
        importlib.import_module(module)


@pytest.mark.parametrize(
    'root',
    [
        'DATA_SAMPLERS',
        'LOG_PROCESSORS',
        'OPTIM_WRAPPERS',
        'OPTIMIZERS',
        'PARAM_SCHEDULERS',
        'VISBACKENDS',
        'MODELS',
        'LOOPS',
        'HOOKS',
        'DATASETS',
        'METRICS',
        'RUNNERS',
    ],
)
def test_runner_registries_have_an_hbi_child(root):
    """Everything a Runner builds in the ``hbi`` scope finds an ``hbi``
    registry (mmengine otherwise warns "Failed to search registry with scope
    "hbi"" and falls back to its root)."""
    import mmengine.registry

    child = getattr(mmengine.registry, root)._search_child('hbi')
    assert child is getattr(hbi.registry, root)


def test_registry_names_are_unique_and_scoped():
    scopes = {getattr(hbi.registry, n).scope for n in REGISTRIES}
    assert scopes == {'hbi'}
    names = [getattr(hbi.registry, n).name for n in REGISTRIES]
    assert len(names) == len(set(names))


def test_core_components_are_registered():
    from hbi.registry import HOOKS, LOOPS, MODELS, RUNNERS

    for registry, name in [
        (MODELS, 'VideoTextRetriever'),
        (MODELS, 'VideoTextDataPreprocessor'),
        (MODELS, 'SymmetricInfoNCELoss'),
        (HOOKS, 'LogitScaleClampHook'),
        (HOOKS, 'EpochSeedingHook'),
        (LOOPS, 'RetrievalValLoop'),
        (LOOPS, 'RetrievalTestLoop'),
        (RUNNERS, 'HBIRunner'),
    ]:
        assert registry.get(name) is not None, name


def test_models_build_without_default_scope():
    """hbi's MODELS builds a retriever (and its default data preprocessor)
    outside a runner, where no default scope was ever set (a fresh process:
    other tests set one)."""
    code = (
        'from mmengine.registry import DefaultScope\n'
        'from hbi.registry import MODELS\n'
        'assert DefaultScope.get_current_instance() is None\n'
        "model = MODELS.build(dict(type='VideoTextRetriever', "
        "text_encoder=dict(type='CLIPTextTower', arch='tiny'), "
        "video_encoder=dict(type='CLIPVisionTower', arch='tiny'), "
        "head=dict(type='MeanPoolingHead')))\n"
        'print(type(model.data_preprocessor).__name__)\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == 'VideoTextDataPreprocessor'
