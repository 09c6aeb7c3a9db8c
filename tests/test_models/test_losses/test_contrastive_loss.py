import math

import pytest
import torch

from hbi.models.losses import SymmetricInfoNCELoss, symmetric_info_nce


def test_matches_hand_computation():
    sim = torch.tensor([[0.9, 0.1], [0.3, 0.5]])
    scale = torch.tensor(math.log(10.0))
    logits = 10 * sim
    rows = -(torch.log_softmax(logits, 1).diagonal()).mean()
    cols = -(torch.log_softmax(logits, 0).diagonal()).mean()
    expected = 0.5 * (rows + cols)
    # by hand for row 0: -log(e^9 / (e^9 + e^1))
    assert rows.item() == pytest.approx(
        0.5 * (math.log(1 + math.exp(-8)) + math.log(1 + math.exp(-2)))
    )
    assert symmetric_info_nce(sim, scale).item() == pytest.approx(
        expected.item(), rel=1e-6
    )
    assert SymmetricInfoNCELoss(2.0)(sim, scale).item() == pytest.approx(
        2 * expected.item(), rel=1e-6
    )


def test_rejects_non_square():
    with pytest.raises(ValueError, match='square'):
        symmetric_info_nce(torch.zeros(2, 3), torch.tensor(0.0))
