"""Gathering features across ranks, with gradients where training needs
them, scaled so that W processes train like one (see
:func:`all_gather_with_grad`)."""

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
    """All-gather whose backward returns W x this rank's slice of the
    gradient (W = world size).

    Every rank computes the same loss L on the gathered batch, so dL/d(this
    rank's features) is its slice of the gathered gradient; the parameters
    before the gather then get the gradient of this rank's items only, and
    DDP's average over ranks divides their sum by W. Multiplying the slice
    by W undoes that division: every parameter gets dL/dθ of the whole
    batch, what one process training on it would get. (The HBI release and
    CLIP4Clip return the bare slice, so their towers get 1/W of it while
    ``logit_scale`` and anything after the gather get all of it.)
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
        ctx.world = world
        return torch.cat([o[:s] for o, s in zip(out, sizes)], dim=0)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad[ctx.start : ctx.start + ctx.size] * ctx.world


def all_gather_with_grad(obj: Any) -> Any:
    """Gather every tensor of a nested structure from all ranks along dim 0.

    Floating tensors keep their autograd graph for this rank's part; integer
    and bool tensors (masks) are gathered without gradient. On a single
    process the input is returned unchanged.

    The contract of distributed losses: a loss that every rank computes
    identically from gathered tensors (a contrastive matrix, anything over
    the whole batch) gives every parameter, after DDP's average, exactly
    the single-process gradient of that loss on the global batch (the
    backward is scaled by W, see :class:`_AllGatherWithGrad`). A per-sample
    term is computed on this rank's local tensors instead, averaged over
    the local batch (DDP's average then makes it the global mean) and
    logged with :func:`global_mean_for_logging`.
    """
    if _world() == 1:
        return obj

    def gather(t: Tensor) -> Tensor:
        if t.is_floating_point():
            return _AllGatherWithGrad.apply(t)
        with torch.no_grad():
            return _AllGatherWithGrad.apply(t.float()).to(t.dtype)

    return map_tensors(gather, obj)


def global_mean_for_logging(local: Tensor) -> Tensor:
    """A local per-sample loss whose value is the mean over ranks and whose
    gradient is the local one.

    ``local + (mean_over_ranks(local) - local).detach()``: backward sees only
    ``local`` (DDP's gradient average then makes it the global mean), while
    the logged value is the same on every rank. On one process ``local`` is
    returned as is.

    Args:
        local (Tensor): Scalar loss averaged over this rank's batch.

    Returns:
        Tensor: Scalar.
    """
    world = _world()
    if world == 1:
        return local
    total = local.detach().clone()
    dist.all_reduce(total)
    return local + (total / world - local.detach())
