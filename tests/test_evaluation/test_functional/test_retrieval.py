import numpy as np
import pytest

from hbi.evaluation.functional import (
    format_retrieval_table,
    recall_summary,
    retrieval_metrics,
    text_to_video_ranks,
    video_to_text_ranks,
)
from hbi.evaluation.functional import retrieval as retrieval_module


def reference_t2v_ranks(sim, text_to_video):
    """Per-query loop: sort descending, ties put the ground truth last."""
    ranks = []
    for i, row in enumerate(sim.tolist()):
        gt = int(text_to_video[i])
        order = sorted(
            range(len(row)), key=lambda v: (-row[v], 1 if v == gt else 0)
        )
        ranks.append(order.index(gt))
    return np.array(ranks)


def reference_v2t_ranks_all_captions(sim, text_to_video):
    """'all_captions', per video: sort captions descending, own captions
    after other videos' captions of equal score; rank of the first own
    caption."""
    ranks = []
    for v in range(sim.shape[1]):
        col = sim[:, v].tolist()
        own = {i for i, g in enumerate(text_to_video) if g == v}
        order = sorted(
            range(len(col)), key=lambda t: (-col[t], 1 if t in own else 0)
        )
        ranks.append(min(order.index(t) for t in own))
    return np.array(ranks)


def reference_v2t_ranks_best_caption(sim, text_to_video):
    """'best_caption_per_video' (CLIP4Clip), per video query ``q``: a list
    of (score, video) with each video's score its best caption against
    ``q``; sorted descending with ``q`` last among equal scores; rank of
    ``q``."""
    ranks = []
    for q in range(sim.shape[1]):
        scores = {}
        for caption, video in enumerate(text_to_video.tolist()):
            score = float(sim[caption, q])
            scores[video] = max(scores.get(video, -np.inf), score)
        order = sorted(scores, key=lambda g: (-scores[g], g == q))
        ranks.append(order.index(q))
    return np.array(ranks)


REFERENCE_V2T = {
    'best_caption_per_video': reference_v2t_ranks_best_caption,
    'all_captions': reference_v2t_ranks_all_captions,
}


def random_case(rng, num_videos, max_captions):
    """Rounded scores (many ties) and 1..max_captions captions per video."""
    counts = rng.integers(1, max_captions + 1, size=num_videos)
    text_to_video = rng.permutation(np.repeat(np.arange(num_videos), counts))
    sim = np.round(rng.uniform(-1, 1, (len(text_to_video), num_videos)), 1)
    return sim, text_to_video


@pytest.mark.parametrize('max_captions', [1, 5])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_ranks_match_reference_loop(seed, max_captions):
    rng = np.random.default_rng(seed)
    sim, text_to_video = random_case(rng, 40, max_captions)
    # Boost some ground-truth scores so that low ranks occur too.
    boost = rng.random(len(text_to_video)) < 0.5
    sim[np.flatnonzero(boost), text_to_video[boost]] = 0.9
    np.testing.assert_array_equal(
        text_to_video_ranks(sim, text_to_video),
        reference_t2v_ranks(sim, text_to_video),
    )
    for rule, reference in REFERENCE_V2T.items():
        np.testing.assert_array_equal(
            video_to_text_ranks(sim, text_to_video, rule),
            reference(sim, text_to_video),
            err_msg=rule,
        )
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video),
        reference_v2t_ranks_best_caption(sim, text_to_video),
    )


@pytest.mark.parametrize('seed', [0, 1])
def test_v2t_rules_agree_on_r1_and_with_one_caption(seed):
    rng = np.random.default_rng(seed)
    sim, text_to_video = random_case(rng, 40, 5)
    boost = rng.random(len(text_to_video)) < 0.5
    sim[np.flatnonzero(boost), text_to_video[boost]] = 0.9
    per_video, per_caption = (
        video_to_text_ranks(sim, text_to_video, rule)
        for rule in ('best_caption_per_video', 'all_captions')
    )
    np.testing.assert_array_equal(per_video == 0, per_caption == 0)
    assert (per_caption > per_video).any()  # R@5 and beyond differ
    sim, text_to_video = random_case(rng, 40, 1)
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video, 'best_caption_per_video'),
        video_to_text_ranks(sim, text_to_video, 'all_captions'),
    )


def test_v2t_rules_differ_by_hand():
    # Video 1 has three captions, all scoring 0.6 against video 0, whose
    # own caption (0) scores 0.5; video 2's caption scores 0.4 against it.
    sim = np.array(
        [
            [0.5, 0.0, 0.0],  # caption of video 0
            [0.6, 0.9, 0.0],  # captions of video 1
            [0.6, 0.1, 0.0],
            [0.6, 0.2, 0.0],
            [0.4, 0.0, 0.7],  # caption of video 2
        ]
    )
    text_to_video = np.array([0, 1, 1, 1, 2])
    # Among videos: video 0 has video 1 (0.6) ahead and video 2 (0.4)
    # behind -> 1; video 1 (0.9) first -> 0; video 2 (0.7) first -> 0.
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video), [1, 0, 0]
    )
    # Among captions: video 0 has the three captions of video 1 ahead.
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video, 'all_captions'), [3, 0, 0]
    )
    metrics = retrieval_metrics(sim, text_to_video, ks=(1, 2))
    assert metrics['v2t/R@2'] == 100.0 and metrics['v2t/MnR'] == 4 / 3
    metrics = retrieval_metrics(
        sim, text_to_video, ks=(1, 2), v2t_rule='all_captions'
    )
    assert metrics['v2t/R@2'] == pytest.approx(200 / 3)
    assert metrics['v2t/MnR'] == 2.0
    assert metrics['v2t/R@1'] == pytest.approx(200 / 3)


def test_unknown_v2t_rule():
    sim, text_to_video = np.zeros((2, 2)), np.array([0, 1])
    with pytest.raises(ValueError, match='all_captions'):
        video_to_text_ranks(sim, text_to_video, 'captions')
    with pytest.raises(ValueError, match='best_caption_per_video'):
        retrieval_metrics(sim, text_to_video, v2t_rule='videos')


@pytest.mark.parametrize('rule', ['best_caption_per_video', 'all_captions'])
def test_ranks_are_chunk_independent(monkeypatch, rule):
    rng = np.random.default_rng(3)
    sim, text_to_video = random_case(rng, 30, 4)
    sim = sim.astype(np.float32)
    expected_t2v = text_to_video_ranks(sim, text_to_video)
    expected_v2t = video_to_text_ranks(sim, text_to_video, rule)
    monkeypatch.setattr(
        retrieval_module, '_CHUNK_ELEMENTS', 7 * len(text_to_video)
    )
    assert len(list(retrieval_module.iter_row_chunks(len(sim), 30))) > 3
    assert len(list(retrieval_module.iter_row_chunks(30, len(sim)))) > 3
    np.testing.assert_array_equal(
        text_to_video_ranks(sim, text_to_video), expected_t2v
    )
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video, rule), expected_v2t
    )


def test_hand_computed_3x3_with_tie():
    sim = np.array(
        [
            [0.9, 0.1, 0.2],  # gt 0 strictly best -> rank 0
            [0.5, 0.5, 0.1],  # gt 1 tied with video 0 -> rank 1
            [0.8, 0.7, 0.3],
        ]
    )  # gt 2 behind both -> rank 2
    text_to_video = np.array([0, 1, 2])
    np.testing.assert_array_equal(
        text_to_video_ranks(sim, text_to_video), [0, 1, 2]
    )
    # Columns: video 0 {0.9*, 0.5, 0.8} -> 0; video 1 {0.1, 0.5*, 0.7} -> 1;
    # video 2 {0.2, 0.1, 0.3*} -> 0.
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video), [0, 1, 0]
    )
    metrics = retrieval_metrics(sim, text_to_video, ks=(1, 2))
    assert metrics['t2v/R@1'] == pytest.approx(100 / 3)
    assert metrics['t2v/R@2'] == pytest.approx(200 / 3)
    assert metrics['t2v/MdR'] == 2.0
    assert metrics['t2v/MnR'] == 2.0
    assert metrics['v2t/R@1'] == pytest.approx(200 / 3)
    assert metrics['v2t/MdR'] == 1.0
    assert metrics['v2t/MnR'] == pytest.approx(4 / 3)
    assert list(metrics) == [
        't2v/R@1',
        't2v/R@2',
        't2v/MdR',
        't2v/MnR',
        'v2t/R@1',
        'v2t/R@2',
        'v2t/MdR',
        'v2t/MnR',
    ]


@pytest.mark.parametrize('rule', ['best_caption_per_video', 'all_captions'])
def test_v2t_own_caption_ties_do_not_count(rule):
    # Video 0 owns captions 0 and 1 (both 0.5); caption 2 (video 1) also 0.5.
    sim = np.array([[0.5, 0.0], [0.5, 0.0], [0.5, 0.9]])
    text_to_video = np.array([0, 0, 1])
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video, rule), [1, 0]
    )


def test_collapsed_model_gets_worst_rank():
    sim = np.ones((12, 4), dtype=np.float32)
    text_to_video = np.repeat(np.arange(4), 3)
    np.testing.assert_array_equal(
        text_to_video_ranks(sim, text_to_video), np.full(12, 3)
    )
    # Each video: the 3 other videos (their 9 captions) are tied ahead.
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video), np.full(4, 3)
    )
    np.testing.assert_array_equal(
        video_to_text_ranks(sim, text_to_video, 'all_captions'),
        np.full(4, 9),
    )
    assert retrieval_metrics(sim, text_to_video)['t2v/R@1'] == 0.0


def test_integer_similarity_is_accepted():
    sim = np.array([[3, 1], [3, 3]], dtype=np.int64)
    np.testing.assert_array_equal(
        text_to_video_ranks(sim, np.array([0, 1])), [0, 1]
    )


def test_recall_summary_values():
    out = recall_summary(np.array([0, 0, 3, 9, 60]), ks=(1, 5, 10, 50))
    assert out == {
        'R@1': 40.0,
        'R@5': 60.0,
        'R@10': 80.0,
        'R@50': 80.0,
        'MdR': 4.0,
        'MnR': 15.4,
    }


@pytest.mark.parametrize(
    'sim, text_to_video, match',
    [
        (np.zeros(3), np.array([0]), '2-D'),
        (np.zeros((2, 2), dtype=bool), np.array([0, 1]), 'dtype'),
        (np.array([[0.1, np.nan], [0.0, 0.2]]), np.array([0, 1]), 'NaN'),
        (np.zeros((2, 2)), np.array([0.0, 1.0]), 'integer dtype'),
        (np.zeros((2, 2)), np.array([0, 1, 1]), r'shape \(2,\)'),
        (np.zeros((2, 2)), np.array([0, 2]), r'\[0, 1\]'),
        (np.zeros((2, 2)), np.array([-1, 0]), r'\[0, 1\]'),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), 'empty'),
        ([[0.0, 1.0]], np.array([0]), 'numpy array'),
    ],
)
def test_validation_errors(sim, text_to_video, match):
    for fn in (text_to_video_ranks, video_to_text_ranks, retrieval_metrics):
        with pytest.raises(ValueError, match=match):
            fn(sim, text_to_video)


def test_video_without_caption_is_reported():
    sim = np.zeros((2, 4))
    with pytest.raises(ValueError, match='2 of 4 videos have no caption'):
        video_to_text_ranks(sim, np.array([0, 2]))
    # t2v is still defined.
    assert text_to_video_ranks(sim, np.array([0, 2])).shape == (2,)


@pytest.mark.parametrize('ks', [(0, 5), (1, 1), (1.5,), (), 5, '15'])
def test_bad_ks(ks):
    with pytest.raises(ValueError, match='ks'):
        recall_summary(np.array([0, 1]), ks=ks)


def test_bad_ranks():
    with pytest.raises(ValueError, match='non-negative'):
        recall_summary(np.array([0, -1]))
    with pytest.raises(ValueError, match='1-D'):
        recall_summary(np.zeros((0,), dtype=int))


def test_format_retrieval_table():
    metrics = {
        't2v/R@1': 40.0,
        't2v/MdR': 2.0,
        'v2t/R@1': 42.25,
        'dsl/t2v/R@1': 45.0,
        'dsl/t2v/MdR': 2.0,
        'loss': 1.0,
    }
    lines = format_retrieval_table(metrics).splitlines()
    assert [cell.strip() for cell in lines[0].split('|')] == [
        'method',
        'direction',
        'R@1',
        'MdR',
    ]
    rows = [[cell.strip() for cell in line.split('|')] for line in lines[2:]]
    assert rows == [
        ['raw', 't2v', '40.0', '2.0'],
        ['raw', 'v2t', '42.2', '-'],
        ['dsl', 't2v', '45.0', '2.0'],
    ]
    metrics['retrieval/v2t_rule'] = 'all_captions'
    lines = format_retrieval_table(metrics).splitlines()
    assert len(lines) == 6
    assert lines[-1] == (
        "v2t rule all_captions: a video's best caption is ranked among all "
        'captions'
    )
