"""Banzhaf Interaction estimator network (``docs/en/methods/hbi.md`` A7).

Written here because it is the released ``BanzhafModule`` (names ``cnn1``,
``Q``, ``K``, ``V``, ``cnn2``, ``bn``), which no library provides.
"""

import torch
from torch import Tensor, nn


class BanzhafEstimator(nn.Module):
    """Predicts the Banzhaf Interaction map of one text-video pair.

    ``x = relu(cnn1(A))``; the Lt*Lv positions attend to each other with
    ``softmax(x Q (x K)^T)`` (no scaling, as released); ``x = x + attn x V``;
    ``out = cnn2(x)``.

    ``bn`` (BatchNorm2d) exists only so that released checkpoints load: the
    released forward never calls it, and neither does this one (its
    parameters are frozen). ``Q``, ``K``
    and ``V`` are initialised like the released ``BanzhafModule``:
    ``xavier_uniform_`` with gain 1.414; the convolutions keep PyTorch's
    default initialisation.

    Args:
        channels (int): Hidden channels. Defaults to 64 (released).

    Shape:
        - interaction: (B, Lt, Lv)
        - output: (B, Lt, Lv)
    """

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.cnn1 = nn.Conv2d(1, channels, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(channels)  # unused, kept for loading
        # Never used, so never a gradient: frozen, so that DDP runs without
        # find_unused_parameters (the release's optimiser skips it too).
        self.bn.requires_grad_(False)
        self.cnn2 = nn.Conv2d(channels, 1, kernel_size=3, padding=1)
        self.Q = nn.Parameter(torch.empty(channels, channels))
        self.K = nn.Parameter(torch.empty(channels, channels))
        self.V = nn.Parameter(torch.empty(channels, channels))
        for param in (self.Q, self.K, self.V):
            nn.init.xavier_uniform_(param, gain=1.414)

    def forward(self, interaction: Tensor) -> Tensor:
        if interaction.dim() != 3:
            raise ValueError(
                'BanzhafEstimator: interaction must be (B, Lt, '
                f'Lv), got shape {tuple(interaction.shape)}'
            )
        x = torch.relu(self.cnn1(interaction.unsqueeze(1)))
        batch, channels, height, width = x.shape
        positions = x.flatten(2).transpose(1, 2)  # (B, Lt*Lv, C)
        attn = torch.softmax(
            (positions @ self.Q) @ (positions @ self.K).transpose(1, 2), dim=-1
        )
        positions = positions + attn @ (positions @ self.V)
        x = positions.transpose(1, 2).reshape(batch, channels, height, width)
        return self.cnn2(x).squeeze(1)
