import pytest
import torch

from hbi.models.layers import (
    TokenWeightHead,
    positive_pair_interaction,
    weighted_token_interaction,
)
from tests.test_models.wti_reference import pairwise_wti


@pytest.mark.parametrize('masked', [True, False])
def test_wti_matches_pairwise_loop(masked):
    torch.manual_seed(0)
    t, v = torch.randn(3, 5, 8), torch.randn(4, 6, 8)
    tw, vw = torch.randn(3, 5), torch.randn(4, 6)
    tm = vm = None
    if masked:
        tm = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
        vm = torch.tensor(
            [
                [1] * 6,
                [1, 1, 0, 0, 0, 0],
                [1, 1, 1, 1, 1, 0],
                [1, 0, 0, 0, 0, 0],
            ]
        )
    got = weighted_token_interaction(t, tm, tw, v, vm, vw)
    assert got.shape == (3, 4)
    torch.testing.assert_close(
        got.double(), pairwise_wti(t, tm, tw, v, vm, vw), atol=1e-5, rtol=1e-5
    )


def test_wti_ignores_padded_content():
    torch.manual_seed(1)
    t, v = torch.randn(2, 4, 8), torch.randn(2, 3, 8)
    tw, vw = torch.randn(2, 4), torch.randn(2, 3)
    tm, vm = (
        torch.tensor([[1, 1, 0, 0], [1, 1, 1, 0]]),
        torch.tensor([[1, 0, 0], [1, 1, 1]]),
    )
    base = weighted_token_interaction(t, tm, tw, v, vm, vw)
    t2, tw2, v2 = t.clone(), tw.clone(), v.clone()
    t2[tm == 0] = 100.0
    tw2[tm == 0] = 50.0
    v2[vm == 0] = -7.0
    torch.testing.assert_close(
        weighted_token_interaction(t2, tm, tw2, v2, vm, vw), base
    )


def test_positive_pair_interaction():
    torch.manual_seed(2)
    t, v = torch.randn(3, 4, 8), torch.randn(3, 5, 8)
    tm = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    got = positive_pair_interaction(t, tm, v, None)
    assert got.shape == (3, 4, 5)
    for b in range(3):
        expected = (
            torch.nn.functional.cosine_similarity(
                t[b][:, None], v[b][None], dim=-1
            )
            * tm[b][:, None]
        )
        torch.testing.assert_close(got[b], expected, atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match='same number of pairs'):
        positive_pair_interaction(t, tm, v[:2], None)


def test_token_weight_head_names_and_shape():
    head = TokenWeightHead(16)
    shapes = {k: tuple(p.shape) for k, p in head.state_dict().items()}
    assert shapes == {
        '0.weight': (32, 16),
        '0.bias': (32,),
        '2.weight': (1, 32),
        '2.bias': (1,),
    }
    x = torch.randn(2, 5, 16)
    expected = head[2](torch.relu(head[0](x))).squeeze(-1)
    torch.testing.assert_close(head(x), expected)
