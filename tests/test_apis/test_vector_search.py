"""InnerProductSearch: exact top-k with torch, the same with faiss."""

import importlib.util

import numpy as np
import pytest

from hbi.apis import InnerProductSearch


def _data():
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((50, 8)).astype(np.float32),
        rng.standard_normal((6, 8)).astype(np.float32),
    )


def test_torch_backend_is_exact_top_k():
    gallery, queries = _data()
    search = InnerProductSearch(gallery, backend='torch', query_chunk=4)
    scores, idx = search.search(queries, 5)
    full = queries @ gallery.T
    assert idx.tolist() == np.argsort(-full, axis=1)[:, :5].tolist()
    np.testing.assert_allclose(
        scores, np.take_along_axis(full, idx, 1), rtol=1e-5
    )
    assert search.search(queries, 500)[1].shape == (6, 50)  # capped


def test_bad_input():
    gallery, queries = _data()
    with pytest.raises(ValueError, match='backend'):
        InnerProductSearch(gallery, backend='annoy')
    search = InnerProductSearch(gallery, backend='torch')
    with pytest.raises(ValueError, match=r'\(Q, 8\)'):
        search.search(queries[:, :3], 2)
    with pytest.raises(ValueError, match='positive int'):
        search.search(queries, 0)


@pytest.mark.skipif(
    importlib.util.find_spec('faiss') is not None, reason='faiss is installed'
)
def test_faiss_missing_is_reported():
    gallery, _ = _data()
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        InnerProductSearch(gallery, backend='faiss')
    assert InnerProductSearch(gallery).backend == 'torch'


@pytest.mark.skipif(
    importlib.util.find_spec('faiss') is None,
    reason='faiss (optional) is not installed',
)
def test_faiss_matches_torch():
    gallery, queries = _data()
    fa = InnerProductSearch(gallery, backend='faiss')
    th = InnerProductSearch(gallery, backend='torch')
    assert InnerProductSearch(gallery).backend == 'faiss'
    (fs, fi), (ts, ti) = fa.search(queries, 7), th.search(queries, 7)
    assert fi.tolist() == ti.tolist()
    np.testing.assert_allclose(fs, ts, rtol=1e-5)
