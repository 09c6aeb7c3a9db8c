"""Gathering features across ranks, with gradients where training needs "
"them."""

from typing import Any, Callable, List

import torch
import torch.distributed as dist
from torch import Tensor


def map_tensors(fn: Callable[[Tensor], Any], obj: Any) -> Any:
    """Apply ``fn`` to every tensor of a nested dict/list/tuple (None kept)."""
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(fn, v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(fn, v) for v in obj)
    return obj


def concat_tensors(parts: List[Any]) -> Any:
    """Concatenate along dim 0 the matching tensors of several nested items."""
    first = parts[0]
    if isinstance(first, Tensor):
        return torch.cat(parts, dim=0)
    if isinstance(first, dict):
        return {k: concat_tensors([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(
            concat_tensors([p[i] for p in parts]) for i in range(len(first))
        )
    return first


def _world() -> int:
    return (
        dist.get_world_size()
        if dist.is_available() and dist.is_initialized()
        else 1
    )


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather whose backward returns this rank's slice of the gradient.

    Every rank computes the same loss on the gathered batch, so the gradient
    of that loss w.r.t. this rank's features is its slice; DDP then averages
    the parameter gradients over ranks (as in CLIP4Clip / the HBI release).
    Ranks may hold different numbers of items (padded, then trimmed).
    """

    @staticmethod
    def forward(ctx, tensor: Tensor) -> Tensor:
        world, rank = dist.get_world_size(), dist.get_rank()
        size = torch.tensor([tensor.shape[0]], device=tensor.device)
        sizes = [torch.zeros_like(size) for _ in range(world)]
        dist.all_gather(sizes, size)
        sizes = [int(s.item()) for s in sizes]
        padded = tensor.new_zeros((max(sizes),) + tensor.shape[1:])
        padded[: tensor.shape[0]] = tensor
        out = [torch.zeros_like(padded) for _ in range(world)]
        dist.all_gather(out, padded.contiguous())
        ctx.start = sum(sizes[:rank])
        ctx.size = sizes[rank]
        return torch.cat([o[:s] for o, s in zip(out, sizes)], dim=0)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad[ctx.start : ctx.start + ctx.size]


def all_gather_with_grad(obj: Any) -> Any:
    """Gather every tensor of a nested structure from all ranks along dim 0.

    Floating tensors keep their autograd graph for this rank's part; integer
    and bool tensors (masks) are gathered without gradient. On a single
    process the input is returned unchanged.
    """
    if _world() == 1:
        return obj

    def gather(t: Tensor) -> Tensor:
        if t.is_floating_point():
            return _AllGatherWithGrad.apply(t)
        with torch.no_grad():
            return _AllGatherWithGrad.apply(t.float()).to(t.dtype)

    return map_tensors(gather, obj)


def with_global_mean_value(loss: Tensor) -> Tensor:
    """``loss`` whose value is its mean over ranks and whose gradient is
    this rank's own.

    For a per-sample term averaged over the local batch: DDP's gradient
    averaging then gives the gradient of the global mean, and the logged
    value (mmengine logs rank 0's) is the global mean too (equal local
    batch sizes). On a single process ``loss`` is returned unchanged.
    """
    world = _world()
    if world == 1:
        return loss
    mean = loss.detach().clone()
    dist.all_reduce(mean)
    return loss + (mean / world - loss.detach())
