"""Data parallelism and ZeRO-style optimiser sharding, measured with 2 processes on this CPU (gloo).

Each process holds a full model replica and trains on its share of the batch; DistributedDataParallel
averages gradients across processes (all-reduce over gloo). With plain data parallelism every process
also keeps the whole AdamW state; with ZeRO stage 1 (torch.distributed.optim.ZeroRedundancyOptimizer)
each process keeps the state of only its shard of the parameters and broadcasts its updated shard.
What we measure per process: bytes of optimiser state it holds, bytes of parameters, and its peak tensor
memory (profiler) over building the replica and 2 steps. On one 2-core machine the processes share the
cores, so this shows what sharding keeps per process, not a speed-up.
"""
from __future__ import annotations

import multiprocessing
import os
import socket
from dataclasses import asdict, dataclass

import torch

from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.recipe import TrainingRecipe

MODES = ("ddp", "zero1")


@dataclass(frozen=True)
class ParallelMeasurement:
    """Per-process figures of one data-parallel run (index = rank)."""

    mode: str  # "ddp" (plain data parallel) or "zero1" (optimiser state sharded)
    world_size: int
    optimizer_state_bytes: tuple[int, ...]
    parameter_bytes: tuple[int, ...]
    peak_bytes: tuple[int, ...]
    losses: tuple[float, ...]  # rank 0's loss after each step (mean over its share)
    replicas_identical: bool  # after training, every process holds the same weights


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _state_bytes(optimizer) -> int:
    inner = getattr(optimizer, "optim", optimizer)  # ZeroRedundancyOptimizer wraps the local shard's optimiser
    return sum(t.numel() * t.element_size() for state in inner.state.values() for t in state.values()
               if torch.is_tensor(t) and t.dim() > 0)


def _worker(rank: int, world: int, port: int, mode: str, config_fields: dict, video: torch.Tensor,
            labels: torch.Tensor, steps: int, queue) -> None:
    import torch.distributed as dist
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    from lib.methods.training_cost.memory import profile_cpu_memory
    from lib.methods.training_cost.step import build_model, initial_state, training_step

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        config = SmallVideoTransformerConfig(**{**config_fields, "tubelet": tuple(config_fields["tubelet"])})
        state = initial_state(config, seed=0)
        recipe = TrainingRecipe()
        shard_video, shard_labels = video[rank::world], labels[rank::world]
        held = {}

        def run() -> None:
            model = DistributedDataParallel(build_model(config, recipe, state))
            if mode == "zero1":
                optimizer = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW,
                                                    lr=5e-4, weight_decay=0.05)
            else:
                optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
            held["losses"] = [training_step(model, optimizer, shard_video, shard_labels, recipe)
                              for _ in range(steps)]
            held["state"] = _state_bytes(optimizer)
            held["params"] = sum(p.numel() * p.element_size() for p in model.parameters())
            flat = torch.cat([p.detach().flatten() for p in model.parameters()])
            gathered = [torch.empty_like(flat) for _ in range(world)]
            dist.all_gather(gathered, flat)
            held["identical"] = all(torch.equal(g, gathered[0]) for g in gathered)

        memory = profile_cpu_memory(run)
        queue.put((rank, held["state"], held["params"], memory.peak_bytes, held["losses"], held["identical"]))
    finally:
        dist.destroy_process_group()


def measure_data_parallel(config: SmallVideoTransformerConfig, video: torch.Tensor, labels: torch.Tensor, *,
                          mode: str = "zero1", world_size: int = 2, steps: int = 2,
                          timeout_s: float = 600.0) -> ParallelMeasurement:
    """Train `steps` steps with `world_size` gloo processes, each on batch[rank::world_size]; per-rank figures."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if len(video) < world_size:
        raise ValueError(f"need at least {world_size} clips to give every process one")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    port = _free_port()
    processes = [context.Process(target=_worker, args=(rank, world_size, port, mode, asdict(config), video, labels,
                                                       steps, queue)) for rank in range(world_size)]
    for process in processes:
        process.start()
    try:
        rows = sorted(queue.get(timeout=timeout_s) for _ in range(world_size))
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return ParallelMeasurement(mode=mode, world_size=world_size, optimizer_state_bytes=tuple(r[1] for r in rows),
                               parameter_bytes=tuple(r[2] for r in rows), peak_bytes=tuple(r[3] for r in rows),
                               losses=tuple(rows[0][4]), replicas_identical=all(r[5] for r in rows))
