"""tools/analysis/retrieve.py: index (resumable), search, recall table."""

import importlib.util

import pytest
import torch

from tests.test_apis.search_helpers import build_model
from tests.test_tools.fast_config import ROOT


def _tool():
    spec = importlib.util.spec_from_file_location(
        'hbi_tools_retrieve', ROOT / 'tools/analysis/retrieve.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_index_search_recall(configs, tmp_path, capsys):
    cfg = tmp_path / 'cfg.py'
    configs['meanp'].dump(str(cfg))
    ckpt = tmp_path / 'random.pth'
    torch.save(
        dict(state_dict=build_model(configs['meanp']).state_dict()), ckpt
    )
    tool = _tool()
    common = [str(cfg), str(ckpt), str(tmp_path / 'idx')]
    out = tool.main(['index'] + common + ['--split', 'test'])
    assert out == dict(indexed=10, skipped=0, invalid=0)
    again = tool.main(['index'] + common + ['--split', 'test'])
    assert again == dict(indexed=0, skipped=10, invalid=0)
    hits = tool.main(
        ['search']
        + common
        + ['-q', 'a red circle', '--k', '3', '--depth', '0']
    )
    assert len(hits) == 1 and len(hits[0]) == 3
    rows = tool.main(
        ['recall'] + common + ['--depths', '2', '10', '--ks', '1', '5']
    )
    printed = capsys.readouterr().out
    assert 'vs-exh@5' in printed and 'exhaustive' in printed
    # depth 2 finds 2 of the top 5
    assert rows[0]['vs-exh@5'] == pytest.approx(40.0)
    assert rows[1]['vs-exh@5'] == 100.0 and rows[1]['R@5'] == rows[2]['R@5']
