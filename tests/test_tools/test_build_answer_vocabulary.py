"""tools/data/build_answer_vocabulary.py: the k most frequent answers."""

import json

import pytest

from hbi.datasets.annotation_io import read_answer_vocabulary
from tests.test_tools.fast_config import load_tool

tool = load_tool('data/build_answer_vocabulary')


def test_top_k_by_frequency_ties_alphabetical(tmp_path, capsys):
    answers = ['dog'] * 3 + ['cat'] * 2 + ['ant'] * 2 + ['man', 'zebra']
    train = tmp_path / 'train.jsonl'
    train.write_text(
        '\n'.join(
            json.dumps(dict(question='q?', answer=a, video_id='v'))
            for a in answers
        )
    )
    out = tmp_path / 'vocab' / 'train_ans2label.json'
    vocabulary = tool.main([str(train), str(out), '--top-k', '3'])
    assert vocabulary == {'dog': 0, 'ant': 1, 'cat': 2}
    assert read_answer_vocabulary(str(out)) == vocabulary
    printed = capsys.readouterr().out
    assert '3 answers' in printed
    assert '7 of 9 training questions (77.8%)' in printed
    # more answers asked for than exist: all of them
    assert len(tool.build_vocabulary(str(train), 100)) == 5
    with pytest.raises(ValueError, match='--top-k'):
        tool.build_vocabulary(str(train), 0)
