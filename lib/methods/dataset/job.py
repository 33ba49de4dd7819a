"""One job of a batch run: (video, task, settings) -> a row or an error row, never an exception.

    jobs = make_jobs(paths, "mask-propagation", {"k": "1,5"})   # list[Job]: every path x every setting
    record = run_job(job, artifacts=folder)                      # {"key", "table": "rows"|"errors", ...}

Workers (Ray actors) and the plain in-process loop both call run_job, so both write the same rows.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lib.errors import UserInputError
from lib.methods.dataset.identity import file_identity, portable_path, video_identity
from lib.methods.dataset.measure import measure, task_defaults
from lib.methods.dataset.settings import expand_settings, job_key, settings_key, task_spec


@dataclass(frozen=True)
class Job:
    """path (absolute), task, settings (keyword -> value of run_<tab>); key: its identity for resume."""

    path: str
    task: str
    settings: dict = field(hash=False)

    @property
    def key(self) -> str:
        return job_key(portable_path(self.path), self.task, self.settings)

    def as_item(self) -> dict:
        return {"path": self.path, "task": self.task, "settings": settings_key(self.settings)}

    @staticmethod
    def from_item(item: Mapping) -> Job:
        return Job(path=str(item["path"]), task=str(item["task"]), settings=json.loads(item["settings"]))


def make_jobs(paths: Sequence[str | Path], task: str, options: Mapping[str, str | None]) -> list[Job]:
    """Every path with every setting of the sweep (`options`: CLI flag -> "v1,v2"; see settings.py)."""
    sweep = expand_settings(task, options, task_defaults(task))
    return [Job(str(Path(p).resolve()), task, s) for p in paths for s in sweep]


def _crash_once(job: Job, marker_dir: str | None) -> None:
    """Fault injection for the retry test: a video whose name contains "crash-once" kills its worker process
    the first time it is seen (a marker file remembers), so Ray must restart the worker and retry."""
    if not marker_dir or "crash-once" not in Path(job.path).name:
        return
    marker = Path(marker_dir) / f".crashed-{Path(job.path).name}"
    if not marker.exists():
        marker.touch()
        os._exit(1)


def run_job(job: Job, *, artifacts: str | Path | None = None, crash_marker_dir: str | None = None) -> dict:
    """The record of one job: {"key", "table", identity..., "task", "settings", setting_<name>..., numbers}.

    table "errors" with `error` (the sentence the app shows for a UserInputError / VideoError, else the
    exception's type and message) when the video or the settings fail; artifacts: a folder for NPZ + PNG."""
    _crash_once(job, crash_marker_dir)
    base = {"key": job.key, "task": job.task, "settings": settings_key(job.settings),
            **{f"setting_{k}": v for k, v in sorted(job.settings.items())}}
    try:
        task_spec(job.task)
        identity = video_identity(job.path)
        numbers, result = measure(job.path, job.task, job.settings)
        record = {**base, **identity, **numbers, "table": "rows"}
        if artifacts is not None:
            from lib.methods.dataset.artifacts import save_artifacts

            record.update(save_artifacts(result, job.task, job.settings, identity["sha256"], Path(artifacts)))
        return record
    except UserInputError as err:
        return {**base, **file_identity(job.path), "table": "errors", "error": str(err),
                "error_type": type(err).__name__}
    except Exception as err:  # noqa: BLE001 -- a failing video never stops the job; its row says why
        return {**base, **file_identity(job.path), "table": "errors",
                "error": f"{type(err).__name__}: {err}", "error_type": type(err).__name__}
