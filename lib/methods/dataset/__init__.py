"""Dataset: one tab's computation over many videos (batch runs on Ray Data), and the results explored.

Usage map (python -m lib.batch, demos/dataset.py and notebooks/dataset.ipynb call these):

    row, result = run_dataset("clip.mp4", task="mask-propagation", settings={"k": 5})  # one row, in process
    jobs = make_jobs(find_videos(["assets/examples"]), "tubes", {"num-frames": "16,32"})  # a sweep
    summary = run_batch(BatchConfig(inputs=("assets/examples",), task="tubes", output="out"))  # Ray -> Parquet
    results = load_results("assets/results")     # DatasetResults: rows and errors (pyarrow only, no Ray)
    results = load_results(results_source(typed, uploads, public=public_server()))  # what a Space may read
    render_scatter(results, x, y, colour) / render_histogram(results, column)   plotly figures
    table_rows(results, task, sort_by=) -> (headers, rows); error_rows(results) -> the errors table
    open_row(results, task, index) -> RowTarget (the video on this machine, the tab's title, its settings)

Inside: settings.py (tasks, options, sweeps, keys), measure.py (run_<tab> -> a flat row: the one code path),
identity.py (path, SHA-256, duration, resolution), job.py (a row or an error row), inputs.py (folders, globs,
lists), engine.py (the job), ray_pipeline.py (Ray Data, and through Ray Client), sources.py (what a public
server may read), store.py (Parquet parts, resume, compaction), progress.py (the bar),
artifacts.py (NPZ + PNG), results.py (reading for the tab), render.py (figures), cli.py (the command).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lib.methods.dataset.engine import BatchConfig, BatchSummary, run_batch
from lib.methods.dataset.inputs import find_videos
from lib.methods.dataset.job import Job, make_jobs, run_job
from lib.methods.dataset.measure import measure, task_defaults
from lib.methods.dataset.render import render_histogram, render_scatter
from lib.methods.dataset.results import (
    BUNDLED_RESULTS,
    DatasetResults,
    RowTarget,
    error_rows,
    load_results,
    open_row,
    table_rows,
)
from lib.methods.dataset.settings import TAB_OF_TASK, TASKS
from lib.methods.dataset.sources import public_server, results_source
from lib.video import Clip


def run_dataset(video: str | Path | Clip, *, task: str = "tubes", settings: Mapping[str, object] | None = None
                ) -> tuple[dict, object]:
    """One batch row in this process: (numbers, the tab's result) of run_<tab>(video, **settings).

    settings: keyword -> value of run_<tab> (missing ones take the tab's defaults)."""
    chosen = {**task_defaults(task), **dict(settings or {})}
    return measure(video, task, chosen)


__all__ = ["BUNDLED_RESULTS", "TAB_OF_TASK", "TASKS", "BatchConfig", "BatchSummary", "DatasetResults", "Job",
           "RowTarget", "error_rows", "find_videos", "load_results", "make_jobs", "measure", "open_row",
           "public_server", "render_histogram", "render_scatter", "results_source", "run_batch", "run_dataset",
           "run_job", "table_rows", "task_defaults"]
