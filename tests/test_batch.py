"""Batch runs on a local Ray cluster (2 CPUs): 8 toy clips + 2 corrupt files.

Rows equal the tab's own run_<tab> in this process; corrupt files land in the errors table with the app's
sentences; a second run skips everything; a worker killed on a marked input is restarted and loses no row.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray comes with requirements-batch.txt")

from lib.batch.toy_clips import write_toy_clips  # noqa: E402
from lib.errors import UserInputError  # noqa: E402
from lib.methods.dataset import BatchConfig, run_batch, run_dataset  # noqa: E402
from lib.methods.dataset.engine import REPO_ROOT  # noqa: E402
from lib.methods.dataset.store import read_table  # noqa: E402
from lib.methods.long_range import run_long_range  # noqa: E402

TIMINGS = ("seconds", "s4_seconds", "attention_seconds")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    write_toy_clips(folder, 8, size=64)
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    return folder


@pytest.fixture(scope="module")
def cluster():
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def first_run(clips, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "long-range"
    summary = run_batch(BatchConfig(inputs=(str(clips),), task="long-range", output=str(out), num_workers=2))
    return out, summary


def test_rows_and_errors_of_a_ray_run(first_run):
    out, summary = first_run
    assert (summary.jobs, summary.rows, summary.errors, summary.skipped) == (10, 8, 2, 0)
    rows, errors = read_table(out, "rows").to_pylist(), read_table(out, "errors").to_pylist()
    assert len(rows) == 8 and len(errors) == 2
    assert len({row["worker"] for row in rows}) <= 2
    assert all(len(row["sha256"]) == 64 and row["duration_s"] > 2 and row["width"] == 64 for row in rows)
    assert (out / "command.txt").is_file()


def test_rows_equal_the_tab_in_process(first_run, clips):
    out, _ = first_run
    for row in read_table(out, "rows").to_pylist():
        path = clips / Path(row["path"]).name
        local, _ = run_dataset(path, task="long-range")
        for name, value in local.items():
            if name in TIMINGS:
                continue
            if isinstance(value, float):
                assert row[name] == pytest.approx(value, rel=1e-4, abs=1e-6), name
            else:
                assert row[name] == value, name
        tab = run_long_range(str(path))  # the face itself, as the tab calls it
        assert row["tokens"] == tab.num_tokens
        assert row["s4_score"] == pytest.approx(float(tab.s4.probs.max()), rel=1e-4)


def test_corrupt_files_get_the_apps_sentences(first_run, clips):
    out, _ = first_run
    errors = {Path(e["path"]).name: e for e in read_table(out, "errors").to_pylist()}
    assert set(errors) == {"empty.mp4", "noise.mp4"}
    for name, error in errors.items():
        with pytest.raises(UserInputError) as raised:
            run_long_range(str(clips / name))
        assert error["error"] == str(raised.value)
        assert error["error_type"] == "VideoError"


def test_second_run_skips_everything(first_run, clips):
    out, _ = first_run
    again = run_batch(BatchConfig(inputs=(str(clips),), task="long-range", output=str(out), num_workers=2))
    assert (again.skipped, again.rows, again.errors) == (10, 0, 0)
    assert read_table(out, "rows").num_rows == 8 and read_table(out, "errors").num_rows == 2


@pytest.mark.slow
def test_killed_worker_loses_no_row(clips, cluster, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for path in sorted(clips.glob("toy-*.mp4"))[:3]:
        shutil.copy(path, videos / path.name)
    shutil.copy(videos / "toy-700000.mp4", videos / "toy-crash-once.mp4")
    out = tmp_path / "out"
    summary = run_batch(BatchConfig(inputs=(str(videos),), task="long-range", output=str(out), num_workers=2,
                                    crash_once=True))
    assert (out / ".crashed-toy-crash-once.mp4").exists()  # the worker really died once
    assert (summary.rows, summary.errors) == (4, 0)
    assert sorted(Path(p).name for p in read_table(out).column("path").to_pylist()) == sorted(
        p.name for p in videos.iterdir())
