import importlib

import pytest
from mmengine.registry import Registry

import hbi.registry

REGISTRIES = hbi.registry.__all__


@pytest.mark.parametrize('name', REGISTRIES)
def test_every_registry_location_imports(name):
    registry = getattr(hbi.registry, name)
    assert isinstance(registry, Registry)
    assert registry._locations, f'{name} declares no locations'
    for module in registry._locations:
        importlib.import_module(module)


def test_registry_names_are_unique_and_scoped():
    scopes = {getattr(hbi.registry, n).scope for n in REGISTRIES}
    assert scopes == {'hbi'}
    names = [getattr(hbi.registry, n).name for n in REGISTRIES]
    assert len(names) == len(set(names))


def test_core_components_are_registered():
    from hbi.registry import HOOKS, LOOPS, MODELS, RUNNERS
    for registry, name in [(MODELS, 'VideoTextRetriever'),
                           (MODELS, 'VideoTextDataPreprocessor'),
                           (MODELS, 'SymmetricInfoNCELoss'),
                           (HOOKS, 'LogitScaleClampHook'),
                           (HOOKS, 'EpochSeedingHook'),
                           (LOOPS, 'RetrievalValLoop'),
                           (LOOPS, 'RetrievalTestLoop'),
                           (RUNNERS, 'HBIRunner')]:
        assert registry.get(name) is not None, name
