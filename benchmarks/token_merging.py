"""Token merging benchmark: a 10-minute video end to end, merging vs pooling fidelity, ToMe in the encoder.

    python benchmarks/token_merging.py [--minutes 10] [--clips 3] [--repeats 5]

(1) a generated 10-minute 480p H.264 video (toy world, cached under test-output/bench/) through the
    bundled FrameViT to the full LongVLM timeline, in a fresh subprocess: wall time and peak RSS;
(2) held-out toy-world long clips: every patch feature reconstructed from its merged token (unmerge)
    vs from average pooling to the same number of tokens per segment (relative squared error);
(3) ToMe inside FrameViT at r per block: throughput ratio (interleaved timing, medians) and held-out
    accuracy change.
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.hooks import count_flops  # noqa: E402
from lib.methods.token_merging.budget import pool_reconstruct, relative_error  # noqa: E402
from lib.methods.token_merging.data import SEEDS, evaluate, make_frames, normalise  # noqa: E402
from lib.methods.token_merging.features import encode_frames  # noqa: E402
from lib.methods.token_merging.segments import merge_segment  # noqa: E402
from lib.models import load_model  # noqa: E402
from lib.toyworld import LongToyVideo  # noqa: E402
from lib.video import Mp4Writer  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
import torch
torch.set_num_threads(2)
from lib.methods.token_merging import run_token_merging
start = time.perf_counter()
result = run_token_merging({path!r})
seconds = time.perf_counter() - start
peak_kb = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])
print(json.dumps({{"seconds": seconds, "peak_rss_mb": peak_kb / 1024,
                  "raw": result.raw_tokens, "merged": result.merged_tokens, "timings": result.timings}}))
"""


def make_long_video(path: Path, minutes: float, fps: float = 25.0) -> Path:
    """A toy-world video of `minutes` at 854x480 (rendered at 120x214, enlarged), written once and reused."""
    frames = int(minutes * 60 * fps)
    if path.exists():
        return path
    video = LongToyVideo(seed=SEEDS.held_out_start + 777, num_frames=frames, height=120, width=214, fps=fps)
    tmp = path.with_suffix(".partial.mp4")
    with Mp4Writer(tmp, fps=fps, preset="ultrafast", crf=28) as writer:
        for i in range(frames):
            writer.write(cv2.resize(video.frame(i).image, (854, 480), interpolation=cv2.INTER_LINEAR))
    tmp.rename(path)
    return path


def long_video_run(path: Path) -> dict:
    """The default pipeline on `path` in a fresh interpreter, so its peak RSS is the pipeline's own."""
    code = CHILD.format(repo=str(REPO), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fidelity(model, clips: int, frames: int = 100, segments: int = 10, tokens: int = 30) -> tuple[float, float]:
    """Mean relative reconstruction error of merging and of average pooling at the same tokens per segment."""
    merge_err, pool_err = [], []
    per = frames // segments
    for c in range(clips):
        video = LongToyVideo(seed=SEEDS.held_out_start + 100 + c, num_frames=1500, height=128, width=128)
        picks = (np.arange(frames) + 0.5) * video.num_frames // frames
        images = np.stack([video.frame(int(i)).image for i in picks])
        feats = encode_frames(model, images)
        for s in range(segments):
            patches = feats.patches[s * per:(s + 1) * per]
            original = patches.reshape(-1, patches.shape[-1]).numpy()
            merged = merge_segment(patches, tokens)
            merge_err.append(relative_error(original, merged.unmerge()))
            pool_err.append(relative_error(original, pool_reconstruct(patches, feats.grid, tokens)))
    return float(np.mean(merge_err)), float(np.mean(pool_err))


@torch.no_grad()
def tome_throughput(model, r: int, repeats: int, batch: int = 100) -> tuple[float, float]:
    """Speed-up of FrameViT at r per block over r = 0 on a batch of frames: (by CPU time, by wall time).

    One thread, interleaved runs, medians, no source tracing (as ToMe's own benchmark). CPU time is
    the primary figure because this machine is shared: wall time also counts the time other jobs
    hold the cores.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    pixels = normalise(make_frames(SEEDS.held_out(batch // 3 + 1), photo_every=0).frames[:batch])
    cpu: dict[int, list[float]] = {0: [], r: []}
    wall: dict[int, list[float]] = {0: [], r: []}
    model.encode(pixels, r=r, trace_source=False)  # warm-up
    for _ in range(repeats):
        for rate in (0, r):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            model.encode(pixels, r=rate, trace_source=False)
            cpu[rate].append(time.process_time() - start_cpu)
            wall[rate].append(time.perf_counter() - start_wall)
    torch.set_num_threads(threads)
    return (statistics.median(cpu[0]) / statistics.median(cpu[r]),
            statistics.median(wall[0]) / statistics.median(wall[r]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clips", type=int, default=3, help="held-out long clips for the fidelity check")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--r", type=int, default=20, help="ToMe tokens merged per block")
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    path = make_long_video(REPO / "test-output" / "bench" / f"toy_{args.minutes:g}min_480p.mp4", args.minutes)
    print(f"long video ready: {path} ({time.perf_counter() - started:.0f} s)", flush=True)
    run = long_video_run(path)
    print(f"(1) {args.minutes:g}-minute 480p video -> timeline: {run['seconds']:.1f} s, peak RSS "
          f"{run['peak_rss_mb']:.0f} MB, {run['raw']} -> {run['merged']} tokens, stages {run['timings']}", flush=True)
    model = load_model("frame-vit-toy")
    merge_err, pool_err = fidelity(model, args.clips)
    print(f"(2) relative reconstruction error at 30 tokens per segment: merging {merge_err:.3f}, "
          f"average pooling {pool_err:.3f} (ratio {pool_err / merge_err:.2f}x)", flush=True)
    held = make_frames(SEEDS.held_out(200), photo_every=0)
    plain, tome = evaluate(model, held), evaluate(model, held, r=args.r)
    speedup, wall_speedup = tome_throughput(model, args.r, args.repeats)
    flops = {rate: count_flops(lambda rate=rate: model.encode(torch.zeros(1, 3, 96, 96), r=rate)).total
             for rate in (0, args.r)}
    delta = 100 * (tome["class_accuracy"] - plain["class_accuracy"])
    print(f"(3) ToMe r={args.r} per block: {speedup:.2f}x throughput by CPU time ({wall_speedup:.2f}x by wall time, "
          f"{flops[0] / flops[args.r]:.2f}x fewer FLOPs); class accuracy {plain['class_accuracy']:.3f} -> "
          f"{tome['class_accuracy']:.3f} ({delta:+.1f} points), patch accuracy {plain['patch_accuracy']:.3f} -> "
          f"{tome['patch_accuracy']:.3f}", flush=True)
    print(json.dumps({"long_video_seconds": round(run["seconds"], 2),
                      "long_video_peak_rss_mb": round(run["peak_rss_mb"]),
                      "raw_tokens": run["raw"], "merged_tokens": run["merged"],
                      "merge_recon_error": round(merge_err, 4), "pool_recon_error": round(pool_err, 4),
                      "tome_speedup": round(speedup, 3), "tome_acc_delta": round(delta, 2)}))


if __name__ == "__main__":
    main()
