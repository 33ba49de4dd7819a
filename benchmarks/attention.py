"""STPT-tiny (local windows early) vs its all-global twin, side by side on held-out toy-world videos.

    python benchmarks/attention.py [--videos 48]

Prints detection mAP at tIoU 0.5 and the 0.3:0.7 average, forward GFLOPs per 64-frame window
(FlopCounterMode), the peak extra memory of one forward (resident memory sampled during the first forward in a fresh
process per model, model already loaded) and the median forward time, then the ratios. The last line is one
JSON object: stpt_map50, global_map50, stpt_gflops, global_gflops, stpt_peak_mb, global_peak_mb.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PEAK_SCRIPT = """
import os, resource, threading, torch
torch.set_num_threads({threads})
from lib.models import load_model
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
model = load_model({name!r})
x = torch.randn(1, model.num_frames, 3, model.image_size, model.image_size)
before, samples, done = rss(), [], threading.Event()
def sample():
    while not done.is_set():
        samples.append(rss())
        done.wait(0.0005)
thread = threading.Thread(target=sample)
thread.start()
with torch.no_grad():
    model(x)
done.set()
thread.join()
samples.append(rss())
print((max(samples) - before) / 2**20, before / 2**20)
"""


def peak_forward_mb(name: str, threads: int) -> tuple[float, float]:
    """(extra peak RSS MB during the first forward, sampled every 0.5 ms; RSS MB before it), in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT.format(name=name, threads=threads)], cwd=REPO,
                         capture_output=True, text=True, check=True)
    extra, before = out.stdout.split()[-2:]
    return float(extra), float(before)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=48, help="held-out toy videos (one 256-frame window each)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from lib.hooks import count_model_flops
    from lib.methods.attention import SEEDS, STPT_MODEL, STPT_TWIN
    from lib.methods.attention.data import evaluate
    from lib.models import load_model

    torch.set_num_threads(args.threads)
    seeds = SEEDS.held_out(args.videos)
    rows = {}
    for name in (STPT_MODEL, STPT_TWIN):
        model = load_model(name)
        x = torch.randn(1, model.num_frames, 3, model.image_size, model.image_size)
        scores = evaluate(model, seeds)
        times = []
        with torch.no_grad():
            for _ in range(4):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
        extra, base = peak_forward_mb(name, args.threads)
        rows[name] = {"map50": scores[0.5], "map_avg": float(np.mean(list(scores.values()))),
                      "gflops": count_model_flops(model, x).gflops, "peak_mb": extra, "base_mb": base,
                      "seconds": float(np.median(times[1:]))}
        r = rows[name]
        print(f"{name:22s} mAP@0.5 {r['map50']:.3f}  mAP@0.3:0.7 {r['map_avg']:.3f}  {r['gflops']:.3f} GFLOPs  "
              f"forward peak +{r['peak_mb']:.0f} MB (process {r['base_mb']:.0f} MB)  {r['seconds'] * 1e3:.0f} ms",
              flush=True)
    local, twin = rows[STPT_MODEL], rows[STPT_TWIN]
    print(f"global / local: {twin['gflops'] / local['gflops']:.2f}x GFLOPs, "
          f"{twin['peak_mb'] / max(local['peak_mb'], 1e-6):.2f}x forward peak memory, "
          f"{twin['seconds'] / local['seconds']:.2f}x forward time; "
          f"mAP@0.5 local - global = {100 * (local['map50'] - twin['map50']):+.1f} points "
          f"({args.videos} held-out videos)")
    print(json.dumps({"stpt_map50": round(local["map50"], 4), "global_map50": round(twin["map50"], 4),
                      "stpt_gflops": round(local["gflops"], 4), "global_gflops": round(twin["gflops"], 4),
                      "stpt_peak_mb": round(local["peak_mb"], 1), "global_peak_mb": round(twin["peak_mb"], 1)}))


if __name__ == "__main__":
    main()
