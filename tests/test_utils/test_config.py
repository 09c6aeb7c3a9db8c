import pytest

from hbi.utils import UnknownConfigKeyError, load_config


@pytest.fixture
def cfg_file(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(
        "model = dict(type='M', head=dict(rate=(1, 0, 0)))\n"
        'train_cfg = dict(max_epochs=5)\n'
        "pipeline = [dict(type='A'), dict(type='B')]\n"
        'train_dataloader = dict(dataset=dict(pipeline=pipeline))\n'
    )
    return str(path)


def test_known_keys_are_merged(cfg_file):
    cfg = load_config(
        cfg_file,
        {
            'train_cfg.max_epochs': 2,
            'model.head.rate': (0, 1, 0),
            'pipeline.1.type': 'C',
        },
    )
    assert cfg.train_cfg.max_epochs == 2
    assert tuple(cfg.model.head.rate) == (0, 1, 0)
    # ``pipeline`` is a variable: the loader built from it follows
    assert cfg.train_dataloader.dataset.pipeline[1].type == 'C'


def test_unknown_key_names_key_and_suggests(cfg_file):
    with pytest.raises(UnknownConfigKeyError) as err:
        load_config(cfg_file, {'model.head.rat': 1})
    msg = str(err.value)
    assert "'model.head.rat'" in msg and "'rate'" in msg


def test_unknown_top_level_key(cfg_file):
    with pytest.raises(UnknownConfigKeyError, match='max_epoch'):
        load_config(cfg_file, {'max_epoch': 1})


def test_unknown_top_level_key_points_to_the_nested_one(cfg_file):
    with pytest.raises(
        UnknownConfigKeyError, match=r'exists as train_cfg\.max_epochs'
    ):
        load_config(cfg_file, {'max_epochs': 1})


def test_list_index_out_of_range(cfg_file):
    with pytest.raises(UnknownConfigKeyError, match='out of range'):
        load_config(cfg_file, {'pipeline.5.type': 'C'})


def test_constructor_argument_of_typed_dict_is_allowed(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(
        "default_scope = 'hbi'\n"
        "test_cfg = dict(type='RetrievalTestLoop')\n"
        "test_evaluator = dict(type='RetrievalMetric')\n"
    )
    cfg = load_config(
        str(path),
        {'test_cfg.block_size': 64, 'test_evaluator.rescorers': ['dsl']},
    )
    assert cfg.test_cfg.block_size == 64
    assert cfg.test_evaluator.rescorers == ['dsl']
    with pytest.raises(UnknownConfigKeyError, match='block_sise'):
        load_config(str(path), {'test_cfg.block_sise': 64})
