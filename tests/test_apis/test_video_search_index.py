"""VideoSearchIndex: resumable indexing and two-stage vs exhaustive search."""

import numpy as np
import pytest
import torch

from hbi.apis import compare_two_stage
from hbi.models.rerankers import SimilarityReranker
from tests.test_apis.search_helpers import make_index, split_of

_index = make_index


@pytest.mark.parametrize('head', ['hbi', 'meanp'])
def test_full_depth_two_stage_equals_exhaustive(configs, tmp_path, head):
    cfg = configs[head]
    paths, ids, captions, gt = split_of(cfg)
    captions, gt = captions[::3], gt[::3]  # 17 queries, 2 per video or so
    index = _index(cfg, tmp_path / 'idx', block_size=4)
    assert index.index_videos(paths, ids) == dict(
        indexed=10, skipped=0, invalid=0
    )
    assert index.video_ids == ids
    text = index.encode_queries(captions)
    n = len(ids)
    ex_idx, ex_scores = index.search_exhaustive(text, n)
    # exhaustive = the model's fused similarity, sorted
    with torch.no_grad():
        full = index.model.similarity(text, index.store.features())['fused']
    np.testing.assert_allclose(
        ex_scores, np.sort(full.numpy(), axis=1)[:, ::-1], rtol=0, atol=1e-5
    )
    assert (np.diff(ex_scores, axis=1) <= 0).all()
    for depth in (n, n + 5):
        idx, scores = index.search_two_stage(text, n, depth)
        assert np.array_equal(idx, ex_idx) and np.array_equal(
            scores, ex_scores
        )
    # shallower: every returned score is the exact fused score of its video
    idx, scores = index.search_two_stage(text, 3, 4)
    assert idx.shape == (len(captions), 3)
    for q in range(len(captions)):
        np.testing.assert_allclose(
            scores[q], full[q, idx[q]].numpy(), atol=1e-5
        )
    rows = compare_two_stage(index, text, [1, n], ks=(1, 5), gt=np.asarray(gt))
    assert [r['depth'] for r in rows] == ['1', str(n), 'exhaustive']
    assert rows[1]['vs-exh@1'] == rows[1]['vs-exh@5'] == 100.0
    assert rows[1]['R@5'] == rows[2]['R@5']
    assert rows[0]['vs-exh@5'] == pytest.approx(20.0)  # 1 of 5 at depth 1
    hits = index.search(captions[:2], k=3, rerank_depth=n)
    assert [h.index for h in hits[0]] == ex_idx[0, :3].tolist()
    assert hits[0][0].video_id == ids[ex_idx[0, 0]]


class _Stop(Exception):
    pass


def test_interrupted_indexing_resumes_without_recomputing(configs, tmp_path):
    cfg = configs['hbi']
    paths, ids, captions, _ = split_of(cfg)
    straight = _index(cfg, tmp_path / 'straight')
    straight.index_videos(paths, ids)

    seen = []

    def stop_after_two_batches(batch_ids):
        seen.append(list(batch_ids))
        if len(seen) == 2:
            raise _Stop

    parted = _index(cfg, tmp_path / 'parted')
    with pytest.raises(_Stop):
        parted.index_videos(paths, ids, on_batch=stop_after_two_batches)
    assert len(parted) == 6

    # a new process: a fresh index object on the same folder
    resumed = _index(cfg, tmp_path / 'parted')
    assert resumed.video_ids == ids[:6]
    encoded = []
    original = resumed.model.encode_video

    def counting(frames, mask):
        encoded.append(frames.shape[0])
        return original(frames, mask)

    resumed.model.encode_video = counting
    later = []
    out = resumed.index_videos(paths, ids, on_batch=later.append)
    assert out == dict(indexed=4, skipped=6, invalid=0)
    assert sum(encoded) == 4 and later == [ids[6:9], ids[9:]]
    assert resumed.index_videos(paths, ids) == dict(
        indexed=0, skipped=10, invalid=0
    )
    assert sum(encoded) == 4

    assert resumed.video_ids == straight.video_ids
    a, b = straight.store.features(), resumed.store.features()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert torch.equal(
        straight.store.first_stage(), resumed.store.first_stage()
    )
    text = straight.encode_queries(captions[::5])
    for depth in (3, 10):
        x = straight.search_two_stage(text, 5, depth)
        y = resumed.search_two_stage(text, 5, depth)
        assert np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1])


def test_store_of_another_model_is_refused(configs, tmp_path):
    cfg = configs['meanp']
    paths, ids, _, _ = split_of(cfg)
    _index(cfg, tmp_path / 'idx', seed=0).index_videos(paths[:3], ids[:3])
    with pytest.raises(ValueError, match='another model'):
        _index(cfg, tmp_path / 'idx', seed=1)


def test_bad_ids_and_empty_index(configs, tmp_path):
    cfg = configs['meanp']
    paths, ids, _, _ = split_of(cfg)
    index = _index(cfg, tmp_path / 'idx')
    with pytest.raises(ValueError, match='unique'):
        index.index_videos(paths[:2], [ids[0], ids[0]])
    with pytest.raises(ValueError, match='empty'):
        index.search(['a red circle'], k=1, rerank_depth=2)
    with pytest.raises(FileNotFoundError, match='no \\*.mp4'):
        index.index_folder(str(tmp_path))


def test_search_runs_the_models_reranking_stage(configs, tmp_path):
    cfg = configs['hbi']
    paths, ids, captions, _ = split_of(cfg)
    index = _index(cfg, tmp_path / 'idx')
    index.index_videos(paths, ids)
    queries = captions[::7]
    text = index.encode_queries(queries)
    with torch.no_grad():
        sims = index.model.similarity(text, index.store.features())
    fused, event = sims['fused'].numpy(), sims['event'].numpy()
    n, weight = len(ids), 0.5
    for depth in (n, 3):
        index.model.reranker = SimilarityReranker('event', depth, weight)
        for first_stage in (None, n):  # exhaustive, two-stage at full depth
            hits = index.search(queries, k=n, rerank_depth=first_stage)
            for q, row in enumerate(hits):
                order = sorted(range(n), key=lambda v: (-fused[q, v], v))
                top = order[:depth]
                final = {v: fused[q, v] + weight * event[q, v] for v in top}
                want = sorted(top, key=lambda v: (-final[v], top.index(v)))
                want += order[depth:]
                assert [h.index for h in row] == want
                assert [h.reranked for h in row] == [True] * depth + [
                    False
                ] * (n - depth)
                for h in row:
                    expect = (
                        final[h.index] if h.reranked else fused[q, h.index]
                    )
                    assert h.score == pytest.approx(expect, abs=1e-5)
    # fewer results than the depth: still the re-ranked head of the list
    three = index.search(queries, k=2, rerank_depth=None)
    assert [len(r) for r in three] == [2] * len(queries)
    assert all(h.reranked for r in three for h in r)
    plain = index.search(queries, k=2, rerank_depth=None, rerank=False)
    assert not any(h.reranked for r in plain for h in r)
