"""tools/analysis/retrieve.py: index (resumable), search, recall table."""

import pytest

from tests.test_apis.search_helpers import retrieve_tool, tool_inputs


def test_index_search_recall(configs, tmp_path, capsys):
    tool = retrieve_tool()
    common = tool_inputs(configs['meanp'], tmp_path)
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
