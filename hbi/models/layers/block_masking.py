"""Block masks over a patch grid (Clover's video masking)."""

import math
from typing import Optional

import torch
from torch import Tensor


def block_patch_mask(
    num: int,
    grid: int,
    ratio: float = 0.2,
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device] = None,
) -> Tensor:
    """Random rectangular blocks covering ``round(ratio * grid**2)`` cells.

    Blocks are drawn one after another (area up to the cells still to mask,
    aspect ratio log-uniform in [0.3, 1/0.3], random position, as in BEiT's
    block masking) until the count is reached; the cells of the last block
    beyond the count are left unmasked (in row-major order), so every row
    masks exactly the same number of cells and the masked patches can be
    dropped from a batch. We write this instead of using a library because
    the libraries' generators (mmpretrain's ``BEiTMaskGenerator``) are
    data transforms that do not fix the count.

    Args:
        num (int): Number of masks (one per video; the same for each of its
            frames).
        grid (int): Cells per side of the square patch grid.
        ratio (float): Fraction of the cells to mask. Defaults to 0.2.
        generator (torch.Generator, optional): Random source.
        device (torch.device, optional): Device of the output.

    Returns:
        Tensor: Bool, True on a masked cell; at least one cell is masked.

    Shape:
        - Output: (num, grid * grid), row-major cells.
    """
    if not 0 < ratio < 1:
        raise ValueError(f'ratio must be in (0, 1), got {ratio}')
    target = max(1, round(ratio * grid * grid))

    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand(1, generator=generator))

    def integer(high: int) -> int:  # in [0, high)
        return int(torch.randint(high, (1,), generator=generator))

    masks = torch.zeros(num, grid, grid, dtype=torch.bool)
    for mask in masks:
        while int(mask.sum()) < target:
            remaining = target - int(mask.sum())
            area = uniform(1, remaining)
            aspect = math.exp(uniform(math.log(0.3), math.log(1 / 0.3)))
            height = min(grid, max(1, round(math.sqrt(area * aspect))))
            width = min(grid, max(1, round(math.sqrt(area / aspect))))
            top, left = integer(grid - height + 1), integer(grid - width + 1)
            block = torch.zeros(grid, grid, dtype=torch.bool)
            block[top : top + height, left : left + width] = True
            new = (block & ~mask).flatten().nonzero().squeeze(1)[:remaining]
            mask.view(-1)[new] = True
    return masks.flatten(1).to(device)
