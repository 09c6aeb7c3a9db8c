"""Distributed start-up that also works on CPU-only machines."""

import os

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for ``launcher`` ('none', 'pytorch', 'slurm', 'mpi').

    On CPU-only machines mmengine's ``pytorch`` launcher calls
    ``torch.cuda.set_device`` and its DDP wrapper passes
    ``device_ids=[local_rank]``, both of which fail; here the gloo process
    group is initialised from torchrun's environment before the Runner exists
    (so mmengine skips its own initialisation) and DDP gets
    ``device_ids=None``.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f"launcher '{launcher}' needs GPUs; on CPU use "
            'tools/dist_train.sh (torchrun, launcher pytorch)'
        )
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
        )
    wrapper = cfg.get('model_wrapper_cfg') or {}
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def destroy_process_group() -> None:
    """End the process group of a distributed run, if there is one (NCCL
    warns about a leak when a process exits without this)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
