"""--cfg-options: every override takes effect everywhere or is refused.

A small ``_base_`` chain written here follows the project's rule (settings
computed from top-level variables); each test feeds one override and checks
the resulting config, or the message of the refusal.
"""

import argparse

import pytest

from hbi.utils import ConfigValueError, load_config
from hbi.utils.config_values import CommandLineValue, ConfigOptionsAction

BASE = """
data_root = 'data/synthetic'
max_epochs = 8
loader = dict(num_workers=2, persistent_workers=False)
dataset = dict(type='MSRVTTRetrievalDataset', data_root=data_root,
               ann_file='annotations/MSRVTT_data.json')
train_dataloader = dict(batch_size=4, dataset=dict(dataset, split='train'),
                        **loader)
val_dataloader = dict(batch_size=4, dataset=dict(dataset, split='validate'),
                      **loader)
test_dataloader = val_dataloader
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
param_scheduler = [dict(type='WarmupCosineLR', warmup=0.1, by_epoch=True,
                        begin=0, end=max_epochs)]
model = dict(type='M', rates=(0.25, 0.5), names=['a', 'b'], ckpt=None)
"""


def cli(*tokens):
    """What ``--cfg-options TOKENS`` gives tools/train.py."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=ConfigOptionsAction)
    return parser.parse_args(['--cfg-options', *tokens]).cfg_options


@pytest.fixture
def config(tmp_path):
    (tmp_path / 'base.py').write_text("default_scope = 'hbi'\n" + BASE)
    # the child uses the base's variable through _base_ and restates one
    child = tmp_path / 'child.py'
    child.write_text(
        "_base_ = ['./base.py']\n"
        'test_dataloader = dict(dataset=dict(data_root=_base_.data_root, '
        "split='test'))\n"
    )
    return str(child)


def data_roots(cfg):
    return [
        cfg[name].dataset.data_root
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def test_data_root_reaches_every_loader(config):
    cfg = load_config(config, cli('data_root=/elsewhere'))
    assert data_roots(cfg) == ['/elsewhere'] * 3
    assert cfg.data_root == '/elsewhere'


def test_quoted_spaces_are_kept(config):
    # the shell passes data_root=/my data/x for --cfg-options "data_root=..."
    assert (
        data_roots(load_config(config, cli('data_root=/my data/x')))
        == ['/my data/x'] * 3
    )
    assert (
        data_roots(load_config(config, cli("data_root='/a b'")))
        == ['/a b'] * 3
    )
    cfg = load_config(config, cli("model.names=['x y', z]"))
    assert cfg.model.names == ['x y', 'z']


def test_max_epochs_moves_schedule_and_validation(config):
    for option in ('max_epochs=2', 'train_cfg.max_epochs=2'):
        cfg = load_config(config, cli(option))
        assert cfg.train_cfg.max_epochs == 2, option
        assert cfg.train_cfg.val_interval == 2, option
        assert cfg.param_scheduler[0].end == 2, option


def test_epochs_without_variable_are_refused_naming_keys(tmp_path):
    path = tmp_path / 'literal.py'
    path.write_text(
        BASE.replace('max_epochs=max_epochs', 'max_epochs=8')
        .replace('val_interval=max_epochs', 'val_interval=8')
        .replace('end=max_epochs', 'end=8')
    )
    with pytest.raises(ConfigValueError) as err:
        load_config(str(path), cli('train_cfg.max_epochs=1'))
    msg = str(err.value)
    assert 'param_scheduler.0.end=8' in msg
    assert 'train_cfg.val_interval=8' in msg
    assert 'param_scheduler.0.end=1 train_cfg.val_interval=1' in msg
    # the variable is not what train_cfg uses: refused, the keys named
    with pytest.raises(
        ConfigValueError,
        match='would change nothing.*'
        r'train_cfg\.max_epochs',
    ):
        load_config(str(path), cli('max_epochs=1'))
    # set together they are meant: accepted (a 1-epoch part of 8)
    cfg = load_config(
        str(path),
        cli(
            'train_cfg.max_epochs=1',
            'param_scheduler.0.end=8',
            'train_cfg.val_interval=1',
        ),
    )
    assert (cfg.train_cfg.max_epochs, cfg.param_scheduler[0].end) == (1, 8)


def test_conflicting_epochs_are_refused(config):
    with pytest.raises(ConfigValueError, match='disagree'):
        load_config(config, cli('max_epochs=2', 'train_cfg.max_epochs=3'))


def test_building_block_override_reaches_its_copies(config):
    cfg = load_config(config, cli('loader.num_workers=0'))
    assert cfg.train_dataloader.num_workers == 0
    assert cfg.val_dataloader.num_workers == 0


def test_unused_variable_is_refused(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(BASE + "unused_root = 'data/other'\n")
    with pytest.raises(ConfigValueError, match="variable 'unused_root'"):
        load_config(str(path), cli('unused_root=/x'))


def test_path_variable_left_behind_is_refused(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(
        BASE + "test_dataloader = dict(dataset=dict(dataset, split='test', "
        "data_root='data/synthetic'))\n"
    )
    with pytest.raises(ConfigValueError) as err:
        load_config(str(path), cli('data_root=/elsewhere'))
    msg = str(err.value)
    assert 'but not test_dataloader.dataset.data_root' in msg
    assert 'train_dataloader.dataset.data_root' in msg


@pytest.mark.parametrize(
    'text,value',
    [
        ('no', False),
        ('False', False),
        ('off', False),
        ('0', False),
        ('yes', True),
        ('TRUE', True),
        ('on', True),
        ('1', True),
    ],
)
def test_boolean_spellings(config, text, value):
    key = 'train_dataloader.dataset.skip_invalid'  # annotation: bool
    cfg = load_config(config, cli(f'{key}={text}'))
    assert cfg.train_dataloader.dataset.skip_invalid is value


@pytest.mark.parametrize(
    'option,fragment',
    [
        ('train_dataloader.dataset.skip_invalid=maybe', 'expects a boolean'),
        ('train_cfg.max_epochs=abc', 'train_cfg.max_epochs expects an int'),
        ('train_cfg.max_epochs=1.5', 'train_cfg.max_epochs expects an int'),
        ('optim_wrapper.optimizer.lr=abc', 'optimizer.lr expects a number'),
        ('train_dataloader.batch_size=four', 'batch_size expects an int'),
        ('model.rates=[0.1,x]', 'model.rates expects a list'),
        ('train_dataloader.dataset.caption_sampling=some', "'one_per_vid"),
        ('train_cfg=3', 'train_cfg expects a dict'),
    ],
)
def test_wrong_types_name_the_key(config, option, fragment):
    with pytest.raises(ConfigValueError) as err:
        load_config(config, cli(option))
    assert fragment in str(err.value)
    assert option.split('=')[0] in str(err.value)


def test_values_are_converted_to_the_key_type(config):
    cfg = load_config(
        config,
        cli(
            'optim_wrapper.optimizer.lr=1e-4',
            'model.rates=(0.5, 1)',
            'model.ckpt=/a b.pth',
            'train_dataloader.dataset.caption_sampling=one_per_video',
        ),
    )
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(1e-4)
    assert cfg.model.rates == (0.5, 1.0)
    assert cfg.model.ckpt == '/a b.pth'


def test_python_values_are_checked_not_parsed(config):
    with pytest.raises(ConfigValueError, match='skip_invalid expects a bool'):
        load_config(config, {'train_dataloader.dataset.skip_invalid': 'no'})
    cfg = load_config(config, {'model.ckpt': 'None'})  # a string: kept
    assert cfg.model.ckpt == 'None'


def test_token_without_equals_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit):
        cli('data_root')
    assert 'expected KEY=VALUE' in capsys.readouterr().err
    assert isinstance(cli('a=b')['a'], CommandLineValue)
