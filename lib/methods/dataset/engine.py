"""The batch engine: jobs -> Ray Data (one long-lived worker per slot, models loaded once each) -> Parquet.

    summary = run_batch(BatchConfig(inputs=("assets/examples",), task="tubes", output="results/tubes"))

By default Ray starts a local cluster on this machine (`ray.init()`); `address` (a GCS address "host:6379" when
this machine is a node of the cluster, "ray://host:10001" through Ray Client from anywhere, or RAY_ADDRESS in
the environment) runs the same job on an existing cluster, whose nodes must see the same project checkout and
the same video paths (ray_pipeline.py: the pipeline, and why Ray Client needs a driver actor). This process
streams records from the workers, writes them to Parquet parts as they arrive (a killed job keeps them), and
skips keys already in the output (resume). engine="local" runs the same run_job in this process (a baseline).
"""
from __future__ import annotations

import logging
import os
import shlex
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lib.methods.dataset.inputs import find_videos
from lib.methods.dataset.job import Job, make_jobs, run_job
from lib.methods.dataset.progress import Progress
from lib.methods.dataset.store import compact, done_keys, write_part

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class BatchConfig:
    """One batch job. options: CLI flag -> "v1,v2,..." (a sweep; see settings.py); num_workers None: one
    per `cpus_per_worker` CPUs of the cluster; crash_once: fault injection for the retry test (job.py)."""

    inputs: tuple[str, ...]
    task: str
    output: str
    options: Mapping[str, str | None] = field(default_factory=dict)
    address: str | None = None
    num_workers: int | None = None
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    save_artifacts: bool = False
    engine: str = "ray"
    flush_every: int = 64
    crash_once: bool = False
    command: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """jobs in the sweep, skipped (already in the output), rows and errors written now, wall seconds."""

    jobs: int
    skipped: int
    rows: int
    errors: int
    seconds: float
    output: str


def ray_address(address: str | None) -> str | None:
    """The cluster to join: `address`, else RAY_ADDRESS, else None (start a local cluster)."""
    return address or os.environ.get("RAY_ADDRESS") or None


@contextmanager
def _ray_connection(address: str | None) -> Iterator[None]:
    """Joins (or starts) the cluster unless this process already has; shuts down only what it started."""
    import ray

    address = ray_address(address)
    started = not ray.is_initialized()
    if started:
        runtime_env = {"env_vars": {"PYTHONPATH": str(REPO_ROOT)}}
        if address and address.startswith("ray://"):  # Ray Client takes fewer options than a driver
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, runtime_env=runtime_env)
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                     runtime_env=runtime_env)
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _ray_records(jobs: list[Job], config: BatchConfig, artifacts: str | None, marker: str | None) -> Iterator[dict]:
    from ray.util.client import ray as ray_client

    from lib.methods.dataset.ray_pipeline import PipelineSpec, client_records, dataset_records

    spec = PipelineSpec(num_workers=config.num_workers, cpus_per_worker=config.cpus_per_worker,
                        gpus_per_worker=config.gpus_per_worker, artifacts=artifacts, crash_marker_dir=marker)
    items = [job.as_item() for job in jobs]
    # also when the caller connected through Ray Client itself before run_batch
    yield from (client_records if ray_client.is_connected() else dataset_records)(items, spec)


def _local_records(jobs: list[Job], artifacts: str | None) -> Iterator[dict]:
    for job in jobs:
        yield {**run_job(job, artifacts=artifacts), "worker": f"{os.uname().nodename}:{os.getpid()}"}


def run_batch(config: BatchConfig, *, stream: TextIO | None = None) -> BatchSummary:
    """Run every (video, setting) of `config` not yet in its output; write rows, errors and the command."""
    start = time.perf_counter()
    jobs = make_jobs(find_videos(config.inputs), config.task, config.options)
    out = Path(config.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "command.txt", "a") as f:
        f.write((config.command or shlex.join(sys.argv)) + "\n")
    done = done_keys(out)
    todo = list({job.key: job for job in jobs if job.key not in done}.values())
    bar = Progress(len(todo), skipped=len(jobs) - len(todo), stream=stream)
    artifacts = str(out) if config.save_artifacts else None
    marker = str(out) if config.crash_once else None
    buffers: dict[str, list[dict]] = {"rows": [], "errors": []}
    counts = {"rows": 0, "errors": 0}

    def flush() -> None:
        for table, records in buffers.items():
            write_part(out, table, records)
            records.clear()

    # Rows are written before the cluster connection closes, so nothing is lost if its shutdown fails.
    with nullcontext() if config.engine == "local" or not todo else _ray_connection(config.address):
        if todo:
            records = _local_records(todo, artifacts) if config.engine == "local" else _ray_records(
                todo, config, artifacts, marker)
            seen: set[str] = set()
            for record in records:
                if record["key"] in seen:  # a retried task may hand back a record twice
                    continue
                seen.add(record["key"])
                table = record.pop("table")
                buffers[table].append(record)
                counts[table] += 1
                bar.update(error=table == "errors")
                if len(buffers["rows"]) + len(buffers["errors"]) >= config.flush_every:
                    flush()
        flush()
    bar.close()
    compact(out)
    return BatchSummary(jobs=len(jobs), skipped=len(jobs) - len(todo), rows=counts["rows"], errors=counts["errors"],
                        seconds=time.perf_counter() - start, output=str(out))
