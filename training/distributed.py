"""Data-parallel training under torchrun: which samples each rank reads, and gradient averaging.

`torchrun --nproc_per_node N -m vidstyle train ...` sets WORLD_SIZE, RANK and LOCAL_RANK;
the trainer reads them here. `--batch-size` stays the global batch, split evenly across
ranks, and sample indices stay global, so a checkpoint resumes under any world size.

Gradients are averaged with one all-reduce per parameter after backward rather than by
wrapping the net in DistributedDataParallel: the stability loss runs the net twice per
step, and DDP's reducer allows one forward per backward.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist

from vidstyle.errors import VidstyleError


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only rank 0 writes checkpoints, previews, losses.csv and the model."""
        return self.rank == 0


def ranks_from_environment(*, cuda: bool) -> Ranks:
    """The torchrun environment, with the process group started; a plain run is rank 0 of 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Ranks()
    ranks = Ranks(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return ranks


def local_batch(global_batch: int, ranks: Ranks) -> int:
    if global_batch % ranks.world:
        raise VidstyleError(f"batch size {global_batch} does not split evenly across {ranks.world} processes")
    return global_batch // ranks.world


class ShardSampler(torch.utils.data.Sampler[int]):
    """This rank's slice of each global batch, for global steps [start_step, stop_step)."""

    def __init__(self, start_step: int, stop_step: int, global_batch: int, ranks: Ranks) -> None:
        self.start_step, self.stop_step, self.global_batch, self.ranks = start_step, stop_step, global_batch, ranks
        self.local = local_batch(global_batch, ranks)

    def __iter__(self) -> Iterator[int]:
        for step in range(self.start_step, self.stop_step):
            first = step * self.global_batch + self.ranks.rank * self.local
            yield from range(first, first + self.local)

    def __len__(self) -> int:
        return (self.stop_step - self.start_step) * self.local


def average_gradients(parameters: Iterable[torch.nn.Parameter], ranks: Ranks) -> None:
    """Mean of each gradient over the ranks: each rank's loss is a mean over its equal share."""
    if ranks.world == 1:
        return
    for parameter in parameters:
        if parameter.grad is not None:
            dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)
            parameter.grad /= ranks.world


def finish(ranks: Ranks) -> None:
    if ranks.world > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
