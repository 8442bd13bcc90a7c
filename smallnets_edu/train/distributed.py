"""Data-parallel training with ``torchrun``: detection, set-up and the few collectives ``fit`` needs.

``torchrun --nproc-per-node N`` starts N copies of the same program and tells each one its place through
the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``). The same
script or notebook code therefore runs unchanged alone or under torchrun: ``fit`` looks at the
environment, joins the process group if there is one, and otherwise trains in one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world`` processes, ``local_rank`` on this machine."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Only the main process (rank 0) prints, shows progress bars and writes files."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"environment variable {name}={value!r} must be an integer (set by torchrun)"
        ) from None


def from_env() -> Context:
    """The context torchrun's environment describes (one process when it describes none)."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} and WORLD_SIZE={world} do not describe a process of a group")
    return Context(rank, world, local_rank)


def backend_for(device: torch.device) -> str:
    """nccl between CUDA GPUs, gloo on CPU (the only backend every platform has)."""
    return "nccl" if device.type == "cuda" else "gloo"


def setup(device: torch.device | None = None) -> Context:
    """Join torchrun's process group once (later calls only return the context).

    Without torchrun's environment this does nothing and returns a one-process context.
    """
    ctx = from_env()
    if not ctx.enabled:
        return ctx
    if not dist.is_available():
        raise ValueError("this PyTorch build has no torch.distributed; run without torchrun")
    if not dist.is_initialized():
        if device is None:
            device = torch.device(f"cuda:{ctx.local_rank}" if torch.cuda.is_available() else "cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend_for(device), rank=ctx.rank, world_size=ctx.world)
    elif dist.get_world_size() != ctx.world:
        raise ValueError(
            f"the process group has {dist.get_world_size()} processes but WORLD_SIZE says {ctx.world}"
        )
    return ctx


def device_for(ctx: Context, requested: torch.device) -> torch.device:
    """Under torchrun each process drives its own GPU (``cuda:LOCAL_RANK``)."""
    if ctx.enabled and requested.type == "cuda" and requested.index is None:
        return torch.device("cuda", ctx.local_rank % max(1, torch.cuda.device_count()))
    return requested


def all_reduce_sum(values: torch.Tensor, ctx: Context) -> torch.Tensor:
    """Sum a tensor over all processes (in place, and returned). A no-op in one process."""
    if ctx.enabled:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def broadcast_buffers(module: torch.nn.Module, ctx: Context) -> None:
    """Give every process rank 0's buffers (BatchNorm running statistics).

    DDP broadcasts buffers at the start of each forward, but the forward then updates them with the
    local batch, so after the last step the processes' statistics differ slightly. Evaluating or saving
    with rank 0's everywhere keeps every process's view of the model identical.
    """
    if ctx.enabled:
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)


def barrier(ctx: Context) -> None:
    if ctx.enabled:
        dist.barrier()


def cleanup() -> None:
    """Leave the process group (call once, at the end of a torchrun program)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
