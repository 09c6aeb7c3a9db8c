"""--cfg-options through tools/train.py's command line."""

import pytest

from tests.test_tools.fast_config import BASE_CONFIG, load_tool, tool_args

train_tool = load_tool('train')


def _build(*options):
    args = train_tool.parse_args([str(BASE_CONFIG), '--cfg-options', *options])
    return train_tool.build_config(args)


def test_data_root_with_space_reaches_every_loader():
    cfg = _build('data_root=/my data/world', 'train_cfg.max_epochs=2')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.data_root == '/my data/world'
    assert cfg.train_cfg.max_epochs == cfg.train_cfg.val_interval == 2
    assert cfg.param_scheduler[0].end == 2


def test_missing_data_root_from_the_command_line_is_named(tmp_path):
    missing = tmp_path / 'elsewhere'
    with pytest.raises(FileNotFoundError, match='elsewhere.*does not exist'):
        train_tool.main(
            tool_args(BASE_CONFIG, tmp_path / 'work', f'data_root={missing}')
        )


def test_wrong_type_from_the_command_line_names_the_key():
    with pytest.raises(ValueError, match='train_cfg.max_epochs expects an'):
        _build('train_cfg.max_epochs=abc')
