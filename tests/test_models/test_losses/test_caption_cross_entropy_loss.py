"""CaptionCrossEntropyLoss against label-smoothed CE written out."""

import pytest
import torch

from hbi.registry import MODELS


def test_value_is_the_mean_over_captions_of_token_means():
    torch.manual_seed(0)
    logits = torch.randn(5, 11)
    targets = torch.tensor([3, 0, 7, 7, 10])
    caption = torch.tensor([0, 0, 0, 1, 1])  # 3 tokens, then 2
    loss = MODELS.build(
        dict(
            type='CaptionCrossEntropyLoss',
            label_smoothing=0.2,
            loss_weight=2.0,
        )
    )(logits, targets, caption, 2)
    logp = logits.log_softmax(-1)
    eps = 0.2
    token = -(1 - eps) * logp[torch.arange(5), targets] - eps * logp.mean(-1)
    expected = 2.0 * (token[:3].mean() + token[3:].mean()) / 2
    torch.testing.assert_close(loss, expected)


def test_errors():
    loss = MODELS.build(dict(type='CaptionCrossEntropyLoss'))
    with pytest.raises(ValueError, match='no target token'):
        loss(torch.randn(2, 4), torch.tensor([1, 2]), torch.tensor([0, 0]), 2)
    with pytest.raises(ValueError, match='label_smoothing'):
        MODELS.build(dict(type='CaptionCrossEntropyLoss', label_smoothing=1))
