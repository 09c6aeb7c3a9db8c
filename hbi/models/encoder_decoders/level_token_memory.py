"""The decoder's memory: token groups, each marked by a learned embedding."""

from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

MemoryPart = Tuple[str, Tensor, Optional[Tensor]]


class LevelTokenMemory(nn.Module):
    """Concatenate groups of tokens (video levels, question words) into one
    memory, adding to every token the learned embedding of its group.

    Args:
        dim (int): Token width D.
        names (Sequence[str]): The groups, in memory order, e.g.
            ``('entity', 'action', 'event')`` (frames, actions and events of
            the HBI head) and ``'question'`` for VideoQA.

    Shape:
        - each part: tokens [B, L_i, D], mask [B, L_i] or None (all real).
        - output: memory [B, sum L_i, D], mask [B, sum L_i] (1 = real).
    """

    def __init__(
        self,
        dim: int,
        names: Sequence[str] = ('entity', 'action', 'event'),
    ) -> None:
        super().__init__()
        if not names or len(set(names)) != len(names):
            raise ValueError(
                f'LevelTokenMemory: names must be distinct and non-empty, '
                f'got {tuple(names)}'
            )
        self.dim, self.names = dim, tuple(names)
        self.level_embedding = nn.Embedding(len(self.names), dim)
        nn.init.normal_(self.level_embedding.weight, std=0.02)

    def forward(self, parts: Sequence[MemoryPart]) -> Tuple[Tensor, Tensor]:
        """Build the memory from ``(name, tokens, mask)`` parts.

        Raises:
            ValueError: An unknown name, or tokens / masks of wrong shape.
        """
        tokens, masks = [], []
        for name, part, mask in parts:
            if name not in self.names:
                raise ValueError(
                    f'LevelTokenMemory: unknown part {name!r}; known: '
                    f'{self.names}'
                )
            if part.dim() != 3 or part.shape[-1] != self.dim:
                raise ValueError(
                    f'LevelTokenMemory: {name} tokens must be [B, L, '
                    f'{self.dim}], got {tuple(part.shape)}'
                )
            if mask is None:
                mask = part.new_ones(part.shape[:2])
            if tuple(mask.shape) != tuple(part.shape[:2]):
                raise ValueError(
                    f'LevelTokenMemory: {name} mask must be '
                    f'{tuple(part.shape[:2])}, got {tuple(mask.shape)}'
                )
            index = self.names.index(name)
            tokens.append(part + self.level_embedding.weight[index])
            masks.append((mask > 0).long())
        if not tokens:
            raise ValueError('LevelTokenMemory: no parts given')
        return torch.cat(tokens, dim=1), torch.cat(masks, dim=1)
