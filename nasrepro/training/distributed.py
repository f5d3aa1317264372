"""Data-parallel supernet training across processes (torchrun), keeping every rank on the same path.

Every rank draws the architecture from a numpy generator seeded identically, so all ranks train the
same single path at each step (issue 7: "samplers kept consistent across ranks"); each rank takes its
slice of the global batch, and ``DistributedDataParallel`` averages the gradients. Candidates not on
the path get no gradient, hence ``find_unused_parameters=True``. BatchNorm normalises per rank (as
DDP does without SyncBatchNorm), so one DDP step equals a single-process step that runs the rank
slices as separate micro-batches and averages their gradients.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn



def init_from_env(backend: str | None = None) -> tuple[int, int]:
    """Initialise the process group from torchrun's environment; (rank, world size), (0, 1) without it."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if torch.cuda.is_available() else "gloo"))
    return dist.get_rank(), dist.get_world_size()


def rank_slice(batch: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """This rank's contiguous share of a global batch (the batch size must divide by the world size)."""
    if batch.shape[0] % world:
        raise ValueError(f"global batch {batch.shape[0]} does not divide across {world} ranks")
    n = batch.shape[0] // world
    return batch[rank * n:(rank + 1) * n]


def wrap(model: nn.Module) -> nn.Module:
    """DDP wrapper for a single-path supernet (or the model itself outside a process group)."""
    if not dist.is_initialized():
        return model
    return nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the current process group, (0, 1) outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def mean_across_ranks(t: torch.Tensor) -> torch.Tensor:
    """Average of ``t`` over the ranks (identity outside a process group): every rank then feeds its
    sampler the same reward, so the ranks keep drawing the same paths."""
    if not (dist.is_available() and dist.is_initialized()):
        return t
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t / dist.get_world_size()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def same_on_all_ranks(indices: list[int], device: torch.device) -> list[int]:
    """Rank 0's architecture indices on every rank. Samplers are seeded alike and fed the same rewards,
    but a sampler that looks at the supernet (density estimates) could see last-bit differences between
    devices; broadcasting the choice keeps every rank on one path whatever the sampler does."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return indices
    t = torch.tensor(indices, dtype=torch.int64, device=device)
    dist.broadcast(t, src=0)
    return t.tolist()
