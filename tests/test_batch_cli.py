"""The batch command: inputs (folder, glob, lists), sweeps, the in-process engine, and --address (a GCS address
and a ray:// Ray Client address) against a second local Ray head started here (`ray start --head`, a real
cluster, not a mock)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lib.batch.toy_clips import write_toy_clips
from lib.errors import UserInputError
from lib.methods.dataset import find_videos, make_jobs, run_dataset
from lib.methods.dataset.cli import main
from lib.methods.dataset.store import read_table

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-videos")
    write_toy_clips(folder, 2, size=64)
    return folder


def test_inputs_folder_glob_and_lists(clips, tmp_path):
    videos = sorted(str(p) for p in clips.glob("*.mp4"))
    assert find_videos([clips]) == videos
    assert find_videos([str(clips / "toy-*.mp4")]) == videos
    (tmp_path / "list.txt").write_text(f"# two clips\n{videos[0]}\n\n{videos[1]}\n")
    (tmp_path / "list.csv").write_text(f"id,path\n1,{videos[1]}\n")
    assert find_videos([tmp_path / "list.txt"]) == videos
    assert find_videos([tmp_path / "list.csv"]) == videos[1:]
    with pytest.raises(UserInputError):
        find_videos([tmp_path / "nothing-*.mp4"])


def test_sweep_is_a_cross_product_with_tab_defaults(clips):
    jobs = make_jobs(find_videos([clips]), "mask-propagation", {"k": "1,2,5,10"})
    assert len(jobs) == 8 and sorted({j.settings["k"] for j in jobs}) == [1, 2, 5, 10]
    assert {j.settings["flow"] for j in jobs} == {"mpvss"}  # the tab's default, from run_mask_propagation
    with pytest.raises(UserInputError, match="does not take --k"):
        make_jobs(find_videos([clips]), "tubes", {"k": "5"})


def test_local_engine_sweep_writes_one_row_per_setting(clips, tmp_path, capsys):
    out = tmp_path / "tubes"
    assert main([str(clips), "--task", "tubes", "--short-side", "64,96", "--output", str(out), "--engine", "local",
                 "--save-artifacts"]) == 0
    rows = read_table(out).to_pylist()
    assert sorted((Path(r["path"]).name, r["setting_short_side"]) for r in rows) == sorted(
        (p.name, s) for p in clips.glob("*.mp4") for s in (64, 96))
    row = rows[0]
    settings = {"short_side": row["setting_short_side"]}
    local, _ = run_dataset(clips / Path(row["path"]).name, task="tubes", settings=settings)
    assert row["tube_tokens"] == local["tube_tokens"] and row["model_gflops"] == pytest.approx(local["model_gflops"])
    assert (out / row["artifact_npz"]).is_file() and (out / row["artifact_png"]).is_file()
    assert "jobs" in capsys.readouterr().err  # the progress bar


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


# The head and the driver agree on no token auth (a local ray.init() may have left ~/.ray/auth_token, which
# `ray start` would then require).
RAY_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


@pytest.fixture(scope="module")
def second_head():
    """A second Ray head on this machine (`ray start --head`, 1 CPU, with a Ray Client server): its GCS and
    Ray Client ports."""
    pytest.importorskip("ray", reason="Ray comes with requirements-batch.txt")
    ray_cli = Path(sys.executable).with_name("ray")
    port, client_port = _free_port(), _free_port()
    temp = tempfile.mkdtemp(prefix="rayhead", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=1",
                             "--include-dashboard=false", f"--ray-client-server-port={client_port}",
                             f"--temp-dir={temp}"], env=RAY_ENV, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, 60)
        _wait_for_port(client_port, 60)
        yield port, client_port
    finally:
        head.terminate()  # `ray start --block` stops the processes it started
        head.wait(timeout=60)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["gcs", "ray-client"])
def test_address_runs_on_a_second_ray_head(form, second_head, clips, tmp_path):
    port, client_port = second_head
    address = f"127.0.0.1:{port}" if form == "gcs" else f"ray://127.0.0.1:{client_port}"
    out = tmp_path / "out"
    command = [sys.executable, "-m", "lib.batch", str(clips), "--task", "long-range", "--output", str(out),
               "--address", address]
    done = subprocess.run(command, env=RAY_ENV, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = read_table(out).to_pylist()
    assert sorted(Path(r["path"]).name for r in rows) == sorted(p.name for p in clips.glob("*.mp4"))
    row = rows[0]
    local, _ = run_dataset(clips / Path(row["path"]).name, task="long-range")  # the same numbers as in process
    assert (row["tokens"], row["s4_prediction"]) == (local["tokens"], local["s4_prediction"])
    assert row["s4_score"] == pytest.approx(local["s4_score"], rel=1e-4)
    again = subprocess.run(command, env=RAY_ENV, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert "2 of 2 jobs already there" in again.stdout  # resume works through the cluster as well
