"""The search index and tools/analysis/retrieve.py on bad input: a corrupt
video (error naming it, or skipped and reported), k / depth out of range, a
query longer than the tokenizer's max_length, a read-only video folder."""

import os
import shutil

import pytest

import hbi.apis.search_queries as queries_module
import hbi.apis.video_search_index as index_module
from hbi.datasets.transforms import VideoDecodeError
from tests.test_apis.search_helpers import (
    make_index,
    retrieve_tool,
    split_of,
    tool_inputs,
)


@pytest.fixture
def logs(monkeypatch):
    messages = []
    for module in (index_module, queries_module):
        monkeypatch.setattr(
            module, 'print_log', lambda msg, *a, **k: messages.append(msg)
        )
    return messages


def _gallery_with_corrupt_video(cfg, folder):
    paths, ids, _, _ = split_of(cfg)
    folder.mkdir()
    copies = []
    for path in paths:
        shutil.copy(path, folder / os.path.basename(path))
        copies.append(str(folder / os.path.basename(path)))
    (folder / os.path.basename(paths[4])).write_bytes(b'\x13\x37' * 300)
    return copies, ids


def test_corrupt_video_is_named_or_skipped(configs, tmp_path, logs):
    cfg = configs['meanp']
    paths, ids = _gallery_with_corrupt_video(cfg, tmp_path / 'videos')
    index = make_index(cfg, tmp_path / 'idx')
    with pytest.raises(VideoDecodeError) as err:
        index.index_videos(paths, ids)
    msg = str(err.value)
    assert f"video '{ids[4]}' ({paths[4]})" in msg
    assert '3 videos indexed so far are kept' in msg  # batch 0 of 3
    assert '--skip-invalid' in msg
    out = index.index_videos(paths, ids, skip_invalid=True)
    assert out == dict(indexed=6, skipped=3, invalid=1)
    assert ids[4] not in index.video_ids and len(index) == 9
    assert (
        f'1 of 7 videos cannot be decoded and were left out: {ids[4]}'
        in (logs[-1])
    )


def test_k_and_depth_are_validated(configs, tmp_path):
    cfg = configs['meanp']
    paths, ids, captions, _ = split_of(cfg)
    index = make_index(cfg, tmp_path / 'idx')
    index.index_videos(paths[:3], ids[:3])
    for k in (0, -1, 1.5):
        with pytest.raises(ValueError, match=f'k must be a positive.*{k}'):
            index.search(captions[:1], k=k)
    with pytest.raises(ValueError, match='rerank_depth must be a positive'):
        index.search(captions[:1], k=2, rerank_depth=0)
    # k beyond the gallery gives every video once
    (hits,) = index.search(captions[:1], k=50, rerank_depth=None)
    assert sorted(h.video_id for h in hits) == sorted(ids[:3])


def test_long_query_is_warned(configs, tmp_path, logs):
    cfg = configs['meanp']
    index = make_index(cfg, tmp_path / 'idx')
    long_query = ' '.join(['red circle'] * 20)  # 40 words, max_length 32
    index.encode_queries(['a red circle', long_query])
    (message,) = logs
    assert f'query {long_query!r} has 40 tokens' in message
    assert 'reads the first 30 (max_length=32)' in message
    assert repr(' '.join(['red circle'] * 15)) in message


def test_retrieve_tool_arguments_and_video_folder(configs, tmp_path, capsys):
    tool = retrieve_tool()
    common = tool_inputs(configs['meanp'], tmp_path)
    for k in ('0', '-1', 'x'):
        with pytest.raises(SystemExit):
            tool.main(['search', *common, '-q', 'a', '--k', k])
        assert 'expected an integer >= 1' in capsys.readouterr().err
    paths, _ = _gallery_with_corrupt_video(configs['meanp'], tmp_path / 'v')
    before = sorted(os.listdir(tmp_path / 'v'))
    out = tool.main(
        ['index', *common, '--videos', str(tmp_path / 'v'), '--skip-invalid']
    )
    assert out['invalid'] == 1 and out['indexed'] == 9
    assert 'cannot be decoded and were left out' in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / 'v')) == before  # nothing written
