"""caption_scores: pycocoevalcap wired as the literature uses it."""

import math

import pytest

from hbi.evaluation.functional import (
    caption,
    caption_scores,
    caption_scores_of_sets,
)

REFERENCES = {
    # the prediction equals the third reference once PTB-tokenised
    'exact': ['a woman cooks pasta', 'someone is cooking', 'a man is singing'],
    'empty': ['a dog runs on the grass', 'a brown dog is running'],
    'other': ['a car drives fast', 'cars race on a track'],
}
PREDICTIONS = {
    'exact': 'A man, is singing!',
    'empty': '',
    'other': 'zebra xylophone quartz',
}


def test_scores_use_every_reference_and_score_empty_as_zero():
    # Two sets scored in one Java session, each on its own.
    first_refs = {v: refs[0] for v, refs in REFERENCES.items()}
    both = caption_scores_of_sets(
        {'model': PREDICTIONS, 'oracle': first_refs},
        REFERENCES,
        per_video=True,
    )
    scores, videos = both['model']
    oracle, oracle_videos = both['oracle']
    for name in ('BLEU-1', 'ROUGE-L'):
        assert oracle[name] == pytest.approx(100, abs=1e-4)
    assert all(
        v['ROUGE-L'] == pytest.approx(100) for v in oracle_videos.values()
    )
    assert list(videos) == list(REFERENCES)
    # Only the third reference matches: every reference is used.
    assert videos['exact']['BLEU-4'] == pytest.approx(100, abs=1e-4)
    assert videos['exact']['ROUGE-L'] == pytest.approx(100)
    for name in ('BLEU-1', 'METEOR', 'ROUGE-L', 'CIDEr'):
        assert videos['empty'][name] == pytest.approx(0, abs=1e-6)
        assert videos['other'][name] == pytest.approx(0, abs=1e-6)
    assert videos['exact']['CIDEr'] > 100
    # Corpus values from their definitions (tokens after PTB: 4, 0, 3).
    assert scores['ROUGE-L'] == pytest.approx(100 / 3)
    assert scores['CIDEr'] == pytest.approx(videos['exact']['CIDEr'] / 3)
    # Corpus BLEU: clipped n-gram matches over the hypotheses' n-grams,
    # brevity from the closest reference length (4, 5 for the empty one,
    # 4 for 'zebra xylophone quartz').
    precisions = [4 / 7, 3 / 5, 2 / 3, 1 / 1]
    brevity = math.exp(1 - (4 + 5 + 4) / 7)
    for n in range(1, 5):
        expected = brevity * math.prod(precisions[:n]) ** (1 / n)
        assert scores[f'BLEU-{n}'] == pytest.approx(100 * expected, rel=1e-6)
    assert 0 < scores['METEOR'] < videos['exact']['METEOR'] <= 100


def test_no_java_is_an_error_not_a_score(monkeypatch):
    monkeypatch.setattr(caption.shutil, 'which', lambda name: None)
    with pytest.raises(RuntimeError, match='need Java.*METEOR'):
        caption_scores(PREDICTIONS, REFERENCES)


def test_bad_inputs_name_the_videos():
    with pytest.raises(ValueError, match=r"without a prediction: \['other'\]"):
        caption_scores(
            {k: v for k, v in PREDICTIONS.items() if k != 'other'},
            REFERENCES,
        )
    with pytest.raises(ValueError, match=r"no reference caption.*'other'"):
        caption_scores(PREDICTIONS, dict(REFERENCES, other=[]))
    with pytest.raises(ValueError, match="prediction of 'empty' is not"):
        caption_scores(dict(PREDICTIONS, empty=None), REFERENCES)
