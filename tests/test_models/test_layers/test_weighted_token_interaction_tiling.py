"""The tiled, length-sorted WTI equals a direct einsum implementation."""

import pytest
import torch
import torch.nn.functional as F

from hbi.models.layers.weighted_token_interaction import (
    prepare_side,
    weighted_token_interaction,
)


def _einsum_wti(t, tm, tw, v, vm, vw):
    """docs/en/methods/hbi.md A4 as one einsum over all pairs (no tiling, no
    sort).
    """

    def side(x, m, w):
        x = F.normalize(x, dim=-1)
        if m is None:
            return x, torch.softmax(w, -1)
        x = x * (m > 0).unsqueeze(-1).to(x.dtype)
        return x, torch.softmax(w.masked_fill(m <= 0, -9e15), -1)

    t, wt = side(t, tm, tw)
    v, wv = side(v, vm, vw)
    a = torch.einsum('atd,bvd->abtv', t, v)
    return 0.5 * (
        torch.einsum('abt,at->ab', a.max(-1).values, wt)
        + torch.einsum('abv,bv->ab', a.max(-2).values, wv)
    )


def _random_mask(n, length, gen, prefix=True):
    lengths = torch.randint(0, length + 1, (n,), generator=gen)
    mask = (torch.arange(length)[None] < lengths[:, None]).float()
    if not prefix:  # real tokens anywhere, not only first
        perm = torch.randperm(length, generator=gen)
        mask = mask[:, perm]
    mask[0] = 1  # one item without padding
    mask[-1] = 0  # one item without any real token
    return mask


def _inputs(seed, nt=13, nv=11, lt=9, lv=5, dim=6, prefix=True):
    gen = torch.Generator().manual_seed(seed)
    t, v = (
        torch.randn(nt, lt, dim, generator=gen),
        torch.randn(nv, lv, dim, generator=gen),
    )
    # Text 1 x video 2 has only negative cosines, so there the maxima come
    # from the padded entries (0), as A4 says.
    t[1] = -t[1].abs()
    v[2] = v[2].abs()
    tw, vw = (
        torch.randn(nt, lt, generator=gen),
        torch.randn(nv, lv, generator=gen),
    )
    return (
        t,
        _random_mask(nt, lt, gen, prefix),
        tw,
        v,
        _random_mask(nv, lv, gen, prefix),
        vw,
    )


@pytest.mark.parametrize('prefix', [True, False])
@pytest.mark.parametrize(
    'tile_elements,videos_per_tile', [(1, 1), (7, 3), (60, 4), (2**21, 256)]
)
def test_tiled_equals_einsum_with_masks(
    prefix, tile_elements, videos_per_tile
):
    for seed in range(3):
        args = _inputs(seed, prefix=prefix)
        got = weighted_token_interaction(
            *args, tile_elements=tile_elements, videos_per_tile=videos_per_tile
        )
        assert got.shape == (13, 11)
        torch.testing.assert_close(
            got, _einsum_wti(*args), atol=1e-6, rtol=1e-6
        )


@pytest.mark.parametrize('which', ['none', 'text', 'video'])
def test_tiled_equals_einsum_without_masks(which):
    t, tm, tw, v, vm, vw = _inputs(4)
    tm = None if which in ('none', 'text') else tm
    vm = None if which in ('none', 'video') else vm
    torch.testing.assert_close(
        weighted_token_interaction(
            t, tm, tw, v, vm, vw, tile_elements=50, videos_per_tile=4
        ),
        _einsum_wti(t, tm, tw, v, vm, vw),
        atol=1e-6,
        rtol=1e-6,
    )


@pytest.mark.parametrize('tile_elements', [40, 2**21])  # tiled, one tile
def test_tiled_gradients_equal_einsum(tile_elements):
    args = _inputs(5)
    leaves = [x.clone().requires_grad_() for x in args]
    for index in (1, 4):  # masks
        leaves[index] = args[index]
    ref_leaves = [
        x.detach().clone().requires_grad_() if x.requires_grad else x
        for x in leaves
    ]
    target = torch.randn(13, 11, generator=torch.Generator().manual_seed(0))
    (
        weighted_token_interaction(
            *leaves, tile_elements=tile_elements, videos_per_tile=3
        )
        * target
    ).sum().backward()
    (_einsum_wti(*ref_leaves) * target).sum().backward()
    for got, ref in zip(leaves, ref_leaves):
        if got.requires_grad:
            torch.testing.assert_close(
                got.grad, ref.grad, atol=1e-5, rtol=1e-5
            )


def test_blocks_of_items_give_blocks_of_the_matrix():
    args = _inputs(6)
    full = weighted_token_interaction(*args)
    t, tm, tw, v, vm, vw = args
    rows, cols = slice(2, 9), slice(4, 11)
    part = weighted_token_interaction(
        t[rows], tm[rows], tw[rows], v[cols], vm[cols], vw[cols]
    )
    torch.testing.assert_close(part, full[rows, cols], atol=1e-6, rtol=1e-6)


def test_prepare_side_sorts_and_compacts():
    tokens = torch.arange(1.0, 13.0).view(3, 4, 1).repeat(1, 1, 2)
    mask = torch.tensor([[0, 1, 0, 1], [1, 1, 1, 1], [0, 0, 1, 0]])
    logits = torch.zeros(3, 4)
    side = prepare_side(tokens, mask, logits)
    assert side.order.tolist() == [1, 0, 2]
    assert side.lengths == [4, 2, 1]
    assert side.floors.tolist() == [float('-inf'), 0.0, 0.0]
    unit = 2**-0.5
    # Item 0 (sorted second): real tokens 2 and 4 first, padded ones zero.
    torch.testing.assert_close(
        side.tokens[1, :, 0], torch.tensor([unit, unit, 0.0, 0.0])
    )
    torch.testing.assert_close(side.weights[1], torch.tensor([0.5, 0.5, 0, 0]))
    torch.testing.assert_close(side.weights[2], torch.tensor([1.0, 0, 0, 0]))


def test_bad_tiling_arguments():
    args = _inputs(7)
    with pytest.raises(ValueError, match='tile_elements'):
        weighted_token_interaction(*args, tile_elements=0)
    with pytest.raises(ValueError, match='videos_per_tile'):
        weighted_token_interaction(*args, videos_per_tile=0)


def test_no_texts_or_no_videos():
    t, tm, tw, v, vm, vw = _inputs(8)
    assert weighted_token_interaction(
        t[:0], tm[:0], tw[:0], v, vm, vw
    ).shape == (0, 11)
    assert weighted_token_interaction(
        t, tm, tw, v[:0], vm[:0], vw[:0]
    ).shape == (13, 0)
