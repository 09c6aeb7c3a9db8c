import math

import pytest
import torch

from hbi.models.losses.banzhaf_distillation_loss import (
    BanzhafDistillationLoss,
    reverse_axes,
    softmax_kl_divergence,
)
from hbi.models.losses.level_distillation_loss import LevelDistillationLoss
from hbi.registry import MODELS


def _softmax(row):
    z = sum(math.exp(x) for x in row)
    return [math.exp(x) / z for x in row]


def _kl_loop(student, target):
    """KL(softmax(target) || softmax(student)) per last-axis row, summed,
    divided by the number of ELEMENTS (torch's reduction='mean')."""
    s, t = (
        student.reshape(-1, student.shape[-1]),
        target.reshape(-1, target.shape[-1]),
    )
    total = 0.0
    for srow, trow in zip(s.tolist(), t.tolist()):
        p, q = _softmax(trow), _softmax(srow)
        total += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    return total / student.numel()


def test_softmax_kl_gradient_is_finite_where_a_target_underflows():
    """Large target logits (answer logits) give target probabilities of
    exactly 0: the value is kl_div's, and the gradient to the (not
    detached) target is finite, where kl_div's is NaN."""
    student = torch.tensor([[0.0, 200.0, -300.0]], requires_grad=True)
    target = torch.tensor([[500.0, 0.0, 1.0]], requires_grad=True)
    loss = softmax_kl_divergence(student, target)
    loss.backward()
    # KL = log q(0) under target one-hot on index 0: (0 - 200 ... ) / 3
    expected = -torch.log_softmax(student.detach(), -1)[0, 0] / 3
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert torch.isfinite(target.grad).all()
    assert torch.isfinite(student.grad).all()
    target.grad = None
    with pytest.warns(UserWarning):
        torch.nn.functional.kl_div(
            torch.log_softmax(student, -1),
            torch.softmax(target, -1),
            reduction='mean',
        ).backward()
    assert torch.isnan(target.grad).any()  # what this avoids


def test_softmax_kl_matches_loop_and_torch():
    torch.manual_seed(0)
    a, b = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    got = softmax_kl_divergence(a, b)
    assert got.item() == pytest.approx(_kl_loop(a, b), rel=1e-5)
    with pytest.warns(UserWarning):
        ref = torch.nn.functional.kl_div(
            a.log_softmax(-1), b.softmax(-1), reduction='mean'
        )
    assert got.item() == pytest.approx(ref.item(), rel=1e-5)
    assert softmax_kl_divergence(a, a).item() == pytest.approx(0, abs=1e-7)
    with pytest.raises(ValueError, match='shapes differ'):
        softmax_kl_divergence(a, b[:2])


def test_banzhaf_distillation_with_masks():
    torch.manual_seed(1)
    student, teacher = torch.randn(3, 4, 2), torch.randn(3, 4, 2)
    tm = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    vm = torch.tensor([[1, 1], [1, 0], [1, 1]])
    keep = (tm[:, :, None] * vm[:, None, :]).float()
    s, t = student * keep, teacher * keep
    expected = _kl_loop(s, t) + _kl_loop(
        s.permute(2, 1, 0), t.permute(2, 1, 0)
    )
    loss = MODELS.build(dict(type='BanzhafDistillationLoss', loss_weight=0.5))
    assert loss(student, teacher, tm, vm).item() == pytest.approx(
        0.5 * expected, rel=1e-5
    )
    unmasked = _kl_loop(student, teacher) + _kl_loop(
        student.permute(2, 1, 0), teacher.permute(2, 1, 0)
    )
    assert BanzhafDistillationLoss()(student, teacher).item() == pytest.approx(
        unmasked, rel=1e-5
    )
    assert reverse_axes(student).shape == (2, 4, 3)


def test_banzhaf_distillation_gradients_only_to_student():
    student = torch.randn(2, 3, 3, requires_grad=True)
    teacher = torch.randn(2, 3, 3, requires_grad=True)
    BanzhafDistillationLoss()(student, teacher).backward()
    assert student.grad is not None and teacher.grad is None


@pytest.mark.parametrize('detach', [False, True])
def test_level_distillation(detach):
    torch.manual_seed(2)
    level = torch.randn(3, 3, requires_grad=True)
    entity = torch.randn(3, 3, requires_grad=True)
    loss = LevelDistillationLoss(loss_weight=2.0, detach_target=detach)
    value = loss(level, entity)
    expected = 2.0 * (
        _kl_loop(level, entity) + _kl_loop(level.t(), entity.t())
    )
    assert value.item() == pytest.approx(expected, rel=1e-5)
    value.backward()
    assert level.grad is not None
    assert (entity.grad is None) == detach
