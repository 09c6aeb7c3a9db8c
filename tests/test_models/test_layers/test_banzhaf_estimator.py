import pytest
import torch
import torch.nn.functional as F

from hbi.models.layers import BanzhafEstimator


def test_estimator_matches_manual_computation():
    torch.manual_seed(0)
    est = BanzhafEstimator(channels=4)
    a = torch.randn(2, 3, 5)
    out = est(a)
    assert out.shape == (2, 3, 5)
    for b in range(2):
        x = F.relu(
            F.conv2d(
                a[b][None, None], est.cnn1.weight, est.cnn1.bias, padding=1
            )
        )[0]  # (C, 3, 5)
        pos = [x[:, i, j] for i in range(3) for j in range(5)]
        new = []
        for p in pos:
            logits = torch.stack([(p @ est.Q) @ (r @ est.K) for r in pos])
            w = torch.softmax(logits, 0)
            new.append(p + sum(wi * (r @ est.V) for wi, r in zip(w, pos)))
        x = torch.stack(new, dim=1).reshape(4, 3, 5)
        expected = F.conv2d(
            x[None], est.cnn2.weight, est.cnn2.bias, padding=1
        )[0, 0]
        torch.testing.assert_close(out[b], expected, atol=1e-5, rtol=1e-5)


def test_estimator_bn_unused_and_layout():
    est = BanzhafEstimator()
    a = torch.randn(2, 4, 3)
    before = est(a)
    with torch.no_grad():
        est.bn.weight.fill_(5.0)
        est.bn.running_mean.fill_(3.0)
    torch.testing.assert_close(est(a), before)
    assert est.Q.shape == est.K.shape == est.V.shape == (64, 64)
    assert {
        'bn.running_var',
        'bn.num_batches_tracked',
        'cnn1.weight',
        'cnn2.bias',
    } <= set(est.state_dict())
    with pytest.raises(ValueError, match='Lt, Lv'):
        est(torch.randn(4, 3))
