"""Batch throughput: clips per second in this process vs on a local Ray cluster with 1 and 2 workers.

    python benchmarks/batch.py [--clips 24] [--task tubes] [--size 96]

Writes toy-world clips to a temporary folder, runs the same jobs (lib.methods.dataset.run_job) three ways
side by side: the plain in-process loop (torch on 1 thread, like a 1-CPU worker), Ray Data with 1 worker and
with 2 workers (the cluster started once beforehand and timed apart). Prints clips/s, the Ray overhead per
clip against the loop, and the peak RSS of each worker; the last line is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.batch.toy_clips import write_toy_clips  # noqa: E402
from lib.methods.dataset import BatchConfig, run_batch  # noqa: E402
from lib.methods.dataset.engine import REPO_ROOT  # noqa: E402
from lib.methods.dataset.store import read_table  # noqa: E402


def _run(folder: Path, out: Path, task: str, engine: str, workers: int | None, options: dict) -> tuple[float, list]:
    summary = run_batch(BatchConfig(inputs=(str(folder),), task=task, output=str(out), engine=engine,
                                    num_workers=workers, options=options), stream=open(os.devnull, "w"))
    return summary.seconds, read_table(out).to_pylist()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--task", default="tubes")
    parser.add_argument("--size", type=int, default=96, help="toy clip side in pixels")
    args = parser.parse_args(argv)
    options = {"short-side": str(args.size)} if args.task == "tubes" else {}
    work = Path(tempfile.mkdtemp(prefix="batch-bench-"))
    folder = work / "clips"
    write_toy_clips(folder, args.clips, size=args.size)

    import torch

    torch.set_num_threads(1)
    local_s, local_rows = _run(folder, work / "local", args.task, "local", None, options)
    local_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    import ray

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}})
    cluster_s = time.perf_counter() - start
    figures = {"task": args.task, "clips": args.clips, "size": args.size, "cluster_start_s": round(cluster_s, 2),
               "local_clips_per_s": round(args.clips / local_s, 3), "local_peak_rss_mb": round(local_rss)}
    try:
        for workers in (1, 2):
            seconds, rows = _run(folder, work / f"ray{workers}", args.task, "ray", workers, options)
            peaks = {}
            for row in rows:
                peaks[row["worker"]] = max(peaks.get(row["worker"], 0), row["worker_peak_rss_mb"])
            figures[f"ray{workers}_clips_per_s"] = round(args.clips / seconds, 3)
            figures[f"ray{workers}_worker_peak_rss_mb"] = sorted(round(v) for v in peaks.values())
            if workers == 1:
                figures["ray_overhead_s_per_clip"] = round((seconds - local_s) / args.clips, 3)
    finally:
        ray.shutdown()
    figures["speedup_2_vs_1_workers"] = round(figures["ray2_clips_per_s"] / figures["ray1_clips_per_s"], 2)
    figures["model_s_per_clip_in_process"] = round(sum(r["seconds"] for r in local_rows) / len(local_rows), 3)
    print(f"in process: {figures['local_clips_per_s']} clips/s; Ray 1 worker {figures['ray1_clips_per_s']}, "
          f"2 workers {figures['ray2_clips_per_s']} clips/s ({figures['speedup_2_vs_1_workers']}x); Ray overhead "
          f"{figures['ray_overhead_s_per_clip']} s per clip; cluster start {figures['cluster_start_s']} s; "
          f"peak RSS per worker {figures['ray2_worker_peak_rss_mb']} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
