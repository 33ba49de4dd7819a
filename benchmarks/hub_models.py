"""Seconds and peak memory of every (hub model, tab main action), full size, through the served app.

The hub checkpoints are rehearsed (lib.models.rehearsal: real architectures, seeded random weights, in a
local Hugging Face cache; times and memory are real, outputs meaningless). Each (model, tab, clip) runs in
its own child process: it imports the app, serves it, loads the model (`load s`), then calls the tab's
main action once through gradio_client (`call s`, what the first visitor waits for after the model is loaded:
the process's first request and forward pass included) and once more (`again s`, what later visitors wait)
and reports its peak RSS (VmHWM of /proc/self/status: app + model + result). Clips: a photograph under
camera motion, 10 s at 640x360 and 5 s at 1280x720 (benchmarks/clips.py). Settings: the tab's defaults
(Attention: the blocks the tab proposes on this machine (default_layers_text: every block, or VideoMAE-B's 0, 6, 11
where recording all would be slow), V-JEPA 2 blocks 0, 8, 16, 23 of 24 on its 16 frames, DINOv2-S 8 frames;
V-JEPA 2 is GPU-only in the app and runs here on a CPU through VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1; Token merging:
the frames and segments the tab picks per encoder, default_frames / default_segments;
Mask propagation: mpvss, k = 5; Tubes: 32 frames, 224 px). Also prints this machine's dense fp32 matmul peak
(GFLOP/s at --threads), the physical limit later work compares its achieved GFLOP/s with, and the load average,
since a busy machine slows everything. The last line is one JSON object.

    python benchmarks/hub_models.py [--quick] [--threads 2] [--cache DIR] [--only clip-vit-b16,attention:dinov2-small]

--only takes model names (every tab the model serves) or action keys "<endpoint>:<model>".

--quick: 2 s clips of both sizes and the tests' cheap settings (2 layers, 8 CLIP frames).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))

from hub_rehearsal_steps import (  # noqa: E402
    GPU_ONLY_ENV,
    HUB_ACTIONS,
    action_args,
    free_port,
    rehearsal_env,
    upload,
)

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "video-explorer-hub-rehearsal"


def peak_rss_mb() -> float:
    """VmHWM (peak resident set size) of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def matmul_peak_gflops(threads: int, n: int = 4096, repeats: int = 5) -> float:
    """Best GFLOP/s of an (n x n) @ (n x n) fp32 torch.matmul on `threads` threads (2 n^3 FLOPs each)."""
    import torch

    from lib.models.matmul import matmul_rate

    torch.set_num_threads(threads)
    return matmul_rate("float32", n=n, repeats=repeats)


def child(key: str, clip: str, quick: bool, threads: int) -> dict:
    """In the child process: serve the app, load the model of action `key`, call the main action once; one dict."""
    import torch

    torch.set_num_threads(threads)
    action = next(a for a in HUB_ACTIONS if a.key == key)
    model = action.model
    start = time.perf_counter()
    from gradio_client import Client

    import app
    from lib.models import load_model

    app.demo.queue(max_size=16)
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                                quiet=True)
    client = Client(url, verbose=False)
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    # loaded (and warmed up) in a thread that then ends, as in the app, where the first request's handler thread
    # loads it: a thread that ran torch keeps its OpenMP team for life, and with two teams alive on 2 cores GNU
    # OpenMP stops spin-waiting, so every parallel op pays a sleep and wake-up (Mask2Former Swin-T ran 3-4 s a
    # frame instead of 1.2 when loaded here in the main thread)
    loader = threading.Thread(target=load_model, args=(action.loads,), name="model-load")
    loader.start()
    loader.join()
    load_s = time.perf_counter() - start
    # the settings a visitor gets on opening the tab, used for both calls (a tab's default frame count follows
    # the rate the last run measured, so asking again after a run could compare different work)
    inputs = action_args(action, upload(clip), quick=quick)
    start = time.perf_counter()
    error = None
    try:
        client.predict(*inputs, api_name=action.api_name)
    except Exception as err:  # a crash is a result too: recorded, not raised
        error = f"{type(err).__name__}: {str(err)[:200]}"
    call_s = time.perf_counter() - start
    again_s = None
    if error is None:  # the same action again: what later visitors wait, the process and the model warm
        start = time.perf_counter()
        client.predict(*inputs, api_name=action.api_name)
        again_s = round(time.perf_counter() - start, 2)
    app.demo.close()
    return {"model": model, "tab": action.tab, "import_s": round(import_s, 2), "load_s": round(load_s, 2),
            "call_s": round(call_s, 2), "again_s": again_s, "peak_rss_mb": round(peak_rss_mb()), "error": error,
            "settings": [value for value in inputs[1:] if isinstance(value, (int, float, str))]}


def run_child(cache: Path, key: str, clip: Path, quick: bool, threads: int, timeout: float) -> dict:
    env = rehearsal_env(cache) | GPU_ONLY_ENV  # measured on this machine whatever the app offers on it
    env["OMP_NUM_THREADS"] = str(threads)
    model = key.split(":", 1)[1]
    command = [sys.executable, __file__, "--child", key, "--clip", str(clip), "--threads", str(threads)]
    if quick:
        command.append("--quick")
    try:
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"model": model, "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"model": model, "error": f"child exited {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s clips and cheap settings")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("HUB_REHEARSAL_CACHE") or DEFAULT_CACHE))
    parser.add_argument("--only", default="", help="comma-separated model names (default: every hub action)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per child process")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--clip", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.clip, args.quick, args.threads)), flush=True)
        return

    from benchmarks.clips import benchmark_clips
    from lib.models.rehearsal import write_rehearsal_cache

    load_start = os.getloadavg()[0]
    asked = [m for m in args.only.split(",") if m]
    unknown = sorted(set(asked) - {a.model for a in HUB_ACTIONS} - {a.key for a in HUB_ACTIONS})
    if unknown:
        parser.error(f"not hub actions: {', '.join(unknown)}; known: {', '.join(a.key for a in HUB_ACTIONS)}")
    wanted = [a.key for a in HUB_ACTIONS if not asked or a.model in asked or a.key in asked]
    # only the checkpoints the wanted actions load (a full cache is several GB and minutes to write)
    write_rehearsal_cache(args.cache, sorted({a.loads for a in HUB_ACTIONS if a.key in wanted}))
    clips = benchmark_clips(quick=args.quick)
    peak = matmul_peak_gflops(args.threads)
    print(f"dense fp32 matmul peak, {args.threads} threads: {peak:.1f} GFLOP/s; load average {load_start:.1f}")
    results = []
    print(f"{'clip':<14} {'model':<30} {'tab':<17} {'load s':>7} {'call s':>7} {'again s':>8} {'peak RSS MB':>12}  "
          "error")
    for label, clip in clips.items():
        for key in wanted:
            row = {"clip": label, **run_child(args.cache, key, clip, args.quick, args.threads, args.timeout)}
            results.append(row)
            model = key.split(":", 1)[1]
            print(f"{label:<14} {model:<30} {row.get('tab', '?'):<17} {row.get('load_s', float('nan')):>7.2f} "
                  f"{row.get('call_s', float('nan')):>7.2f} {row.get('again_s') or float('nan'):>8.2f} "
                  f"{row.get('peak_rss_mb', float('nan')):>12.0f}  "
                  f"{row.get('error') or ''}", flush=True)
    print(json.dumps({"matmul_peak_gflops": round(peak, 1), "threads": args.threads, "quick": args.quick,
                      "loadavg_start": round(load_start, 2), "loadavg_end": round(os.getloadavg()[0], 2),
                      "results": results}))


if __name__ == "__main__":
    main()
