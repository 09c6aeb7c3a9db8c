"""A 10-video synthetic gallery and tiny random retrievers (meanP, HBI)."""

import pytest
from mmengine.config import Config

from tests.test_tools.fast_config import load_generator, write_fast_config

HBI_HEAD = (
    'model = dict(text_encoder=dict(arch=arch), '
    'video_encoder=dict(arch=arch), head=dict(_delete_=True, '
    "type='HierarchicalBanzhafHead', embed_dim=32, num_heads=2, "
    'rate=(0.6, 0.3, 0.1)))\n'
)


@pytest.fixture(scope='session')
def gallery_world(tmp_path_factory):
    out = tmp_path_factory.mktemp('apis_world') / 'synthetic'
    load_generator().generate_world(
        str(out),
        num_train=2,
        num_val=1,
        num_test=10,
        seed=7,
        workers=1,
        progress=False,
    )
    return out


@pytest.fixture(scope='session')
def configs(gallery_world, tmp_path_factory):
    """``{'meanp': Config, 'hbi': Config}`` on the gallery world."""
    tmp = tmp_path_factory.mktemp('apis_cfg')
    out = {}
    for name in ('meanp', 'hbi'):
        path = write_fast_config(tmp / f'{name}.py', gallery_world)
        if name == 'hbi':
            path.write_text(path.read_text() + HBI_HEAD)
        out[name] = Config.fromfile(str(path))
        out[name].test_dataloader.batch_size = 3
    return out
