"""The Ray side of a batch job: the Ray Data pipeline, and the same pipeline driven through Ray Client.

    for record in dataset_records(items, spec):  ...   # on a Ray driver (local cluster or a GCS address)
    for record in client_records(items, spec):  ...    # connected with ray://host:10001 (Ray Client)

items: Job.as_item() dicts; records: run_job's dicts (plus the worker's name and peak memory).
Ray Data needs a real driver (Ray Client has no core worker, so its executor fails with "'Worker' object has no
attribute 'core_worker'"); through Ray Client a small driver actor on the cluster runs the pipeline and the
client polls it for records, so resume, the progress bar and the Parquet output stay on the client's machine.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import resource
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from lib.methods.dataset.job import Job, run_job

POLL_S = 0.2  # how often the client asks the driver actor for new records


@dataclass(frozen=True)
class PipelineSpec:
    """How the pipeline runs: workers (None: one per `cpus_per_worker` CPUs of the cluster), resources per
    worker, the artifacts folder (or None) and the fault-injection marker folder (or None, see job.py)."""

    num_workers: int | None
    cpus_per_worker: float
    gpus_per_worker: float
    artifacts: str | None
    crash_marker_dir: str | None


def _json_default(value: object) -> object:
    return value.item() if hasattr(value, "item") else str(value)


class BatchWorker:
    """The callable class of `map_batches`: one instance per Ray worker process, alive for the whole job, so
    every model a face loads (faces cache them per process) is loaded once per worker, not once per clip."""

    def __init__(self, artifacts: str | None, crash_marker_dir: str | None) -> None:
        self.artifacts, self.crash_marker_dir = artifacts, crash_marker_dir

    def __call__(self, batch: Mapping[str, Sequence]) -> dict[str, list[str]]:
        records = []
        for path, task, settings in zip(batch["path"], batch["task"], batch["settings"]):
            job = Job.from_item({"path": path, "task": task, "settings": settings})
            record = run_job(job, artifacts=self.artifacts, crash_marker_dir=self.crash_marker_dir)
            record["worker"] = f"{os.uname().nodename}:{os.getpid()}"
            record["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            records.append(json.dumps(record, default=_json_default))
        return {"record": records}


def dataset_records(items: list[dict], spec: PipelineSpec) -> Iterator[dict]:
    """Records of every item, as the workers finish them (Ray must be initialised as a real driver)."""
    import ray

    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the job's own bar counts videos, not blocks
    workers = spec.num_workers or max(1, int(ray.cluster_resources().get("CPU", 1) // spec.cpus_per_worker))
    dataset = ray.data.from_items(items, override_num_blocks=min(len(items), 2000))
    mapped = dataset.map_batches(BatchWorker, fn_constructor_kwargs={"artifacts": spec.artifacts,
                                                                     "crash_marker_dir": spec.crash_marker_dir},
                                 batch_size=1, compute=ray.data.ActorPoolStrategy(size=workers),
                                 num_cpus=spec.cpus_per_worker, num_gpus=spec.gpus_per_worker or None)
    for row in mapped.iter_rows():
        yield json.loads(row["record"])


class ClusterDriver:
    """Runs dataset_records on the cluster (made a Ray actor by client_records); `take` hands over what is done.

    The pipeline runs in a thread of the actor so that `take` calls are answered while it works."""

    def __init__(self, items: list[dict], spec: PipelineSpec) -> None:
        self._records: queue.Queue[dict] = queue.Queue()
        self._finished = threading.Event()
        self._error: str | None = None
        threading.Thread(target=self._run, args=(items, spec), daemon=True).start()

    def _run(self, items: list[dict], spec: PipelineSpec) -> None:
        try:
            for record in dataset_records(items, spec):
                self._records.put(record)
        except Exception as err:  # noqa: BLE001 -- handed to the client, which raises it
            self._error = f"{type(err).__name__}: {err}"
        finally:
            self._finished.set()

    def take(self) -> tuple[list[dict], bool, str | None]:
        """(records finished since the last call, whether the pipeline has ended, its error or None)."""
        finished = self._finished.is_set()  # read first: records put before the end are all drained below
        taken = []
        while True:
            try:
                taken.append(self._records.get_nowait())
            except queue.Empty:
                return taken, finished, self._error


def client_records(items: list[dict], spec: PipelineSpec) -> Iterator[dict]:
    """Records of every item through Ray Client: a driver actor (no CPU of its own) on the cluster runs the
    pipeline; this polls it. Raises RuntimeError with the pipeline's error if it fails."""
    import ray

    driver = ray.remote(num_cpus=0)(ClusterDriver).remote(items, spec)
    try:
        while True:
            records, finished, error = ray.get(driver.take.remote())
            yield from records
            if error:
                raise RuntimeError(f"The batch pipeline failed on the cluster: {error}")
            if finished:
                return
            if not records:
                time.sleep(POLL_S)
    finally:
        ray.kill(driver)
