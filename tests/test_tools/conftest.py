"""A small synthetic world shared by the tools tests."""

import pytest

from tests.test_tools.fast_config import load_generator


@pytest.fixture(scope='session')
def small_world(tmp_path_factory):
    out = tmp_path_factory.mktemp('world') / 'synthetic'
    load_generator().generate_world(
        str(out),
        num_train=24,
        num_val=8,
        num_test=8,
        seed=3,
        workers=1,
        progress=False,
    )
    return out
