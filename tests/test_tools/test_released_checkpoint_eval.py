"""``tools/test.py CONFIG pytorch_model.bin`` evaluates a released-layout HBI
checkpoint directly (converted on load), equal to its converted copy."""

import torch

from tests.test_models.test_retrievers.released_layouts import (
    SMALL_ARCH,
    TEMPORAL_HEADS,
    TEMPORAL_LAYERS,
    make_released_state_dict,
)
from tests.test_tools.fast_config import ROOT, load_tool

HBI_SYNTHETIC = ROOT / (
    'configs/retrieval/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py'
)


def write_config(path, data_root):
    width = SMALL_ARCH['embed_dim']
    path.write_text(
        '\n'.join(
            [
                f'_base_ = [{str(HBI_SYNTHETIC)!r}]',
                f'arch = dict(_delete_=True, **{SMALL_ARCH!r})',
                'model = dict(text_encoder=dict(arch=arch), '
                'video_encoder=dict(arch=arch), '
                f'temporal=dict(width={width}, num_layers={TEMPORAL_LAYERS}, '
                f'num_heads={TEMPORAL_HEADS}), head=dict(embed_dim={width}))',
                f'data_root = {str(data_root)!r}',
                'test_dataloader = dict(batch_size=8, num_workers=0, '
                'dataset=dict(data_root=data_root))',
            ]
        )
        + '\n'
    )
    return path


def test_released_file_evaluates_like_its_conversion(small_world, tmp_path):
    released = make_released_state_dict(seed=4)
    src = tmp_path / 'pytorch_model.bin'
    torch.save(released, src)
    converted = tmp_path / 'converted.pth'
    load_tool('model_converters/hbi_official_to_hbi').convert_file(
        str(src), str(converted)
    )
    config = write_config(tmp_path / 'cfg.py', small_world)
    test = load_tool('test')
    direct = test.main(
        [str(config), str(src), '--work-dir', str(tmp_path / 'a')]
    )
    via_tool = test.main(
        [str(config), str(converted), '--work-dir', str(tmp_path / 'b')]
    )
    assert direct and set(direct) == set(via_tool)
    assert any(k.startswith('t2v/') for k in direct)
    for key, value in direct.items():
        assert value == via_tool[key], key
