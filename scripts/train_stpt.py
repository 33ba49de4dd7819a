"""Train the bundled STPT-style detector (local windows early) or its all-global twin on toy-world videos.

    python scripts/train_stpt.py --variant local   # -> assets/models/stpt-tiny-toy/
    python scripts/train_stpt.py --variant global  # -> assets/models/stpt-global-tiny-toy/

Same seed, data, schedule and architecture for both; only `local_stages` differs. Training videos are
LongToyVideo seeds 0..N-1 (80 input frames = 320 source frames each, random 64-frame windows, random
left-right mirroring); the printed held-out score uses seeds from HELD_OUT_SEED0 on, never trained on.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.methods.attention.data import (  # noqa: E402
    DetectionClip,
    crop_window,
    detection_loss,
    evaluate,
    held_out_seeds,
    mirrored,
    to_input,
    toy_video,
)
from lib.methods.attention.detection import Segment  # noqa: E402
from lib.methods.attention.model import STPT  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402

OUT = {"local": "assets/models/stpt-tiny-toy", "global": "assets/models/stpt-global-tiny-toy"}


def build(variant: str, motion: bool = True) -> STPT:
    return STPT(local_stages=2 if variant == "local" else 0, motion_channels=motion)


def load_or_render(cache: str | None, count: int, model: STPT, extra: int) -> list[DetectionClip]:
    """Training videos, rendered from seeds 0..count-1 (or read back from `cache`, which only saves time)."""
    if cache and Path(cache).is_file():
        data = np.load(cache, allow_pickle=False)
        frames = data["frames"]  # one read: every data[...] access decompresses the array again
        if len(frames) == count:
            segments = [tuple(Segment(int(a), int(b), int(c)) for a, b, c in data[f"segments_{k}"]) for k in range(count)]
            return [DetectionClip(frames[k], segments[k], 0, model.frame_stride) for k in range(count)]
    videos = [toy_video(seed, num_frames=model.num_frames + extra, frame_stride=model.frame_stride,
                        size=model.image_size) for seed in range(count)]
    if cache:
        arrays = {f"segments_{k}": np.array([[s.start, s.end, s.label] for s in v.segments], np.int64).reshape(-1, 3)
                  for k, v in enumerate(videos)}
        np.savez(cache, frames=np.stack([v.frames for v in videos]), **arrays)
    return videos


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(OUT), default="local")
    parser.add_argument("--videos", type=int, default=400, help="training videos")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--held-out", type=int, default=48)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None)
    parser.add_argument("--rgb-only", action="store_true", help="no frame-difference channels")
    parser.add_argument("--cache", default=None, help="npz of rendered training videos, written once, then reused")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build(args.variant, motion=not args.rgb_only)
    extra = 16
    started = time.time()
    videos = load_or_render(args.cache, args.videos, model, extra)
    print(f"rendered {len(videos)} training videos in {time.time() - started:.0f} s", flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    model.train()
    for step in range(args.steps):
        clips = []
        for k in rng.integers(len(videos), size=args.batch):
            clip = crop_window(videos[k], int(rng.integers(extra + 1)), model.num_frames)
            clips.append(mirrored(clip) if rng.random() < 0.5 else clip)
        pixels = torch.stack([to_input(c.frames, model.image_size) for c in clips])  # (B, T, 3, S, S)
        loss = detection_loss(model(pixels), [c.segments for c in clips], model.frames_per_step, model.num_classes)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % 25 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.3f}  {time.time() - started:.0f} s", flush=True)
    model.eval()
    folder = save_bundled(model, args.out or OUT[args.variant])
    scores = evaluate(model, held_out_seeds(args.held_out))
    average = float(np.mean(list(scores.values())))
    print(f"saved {folder}; training took {time.time() - started:.0f} s")
    print(f"held-out mAP ({args.held_out} toy videos): " + ", ".join(f"@{t:.1f}={v:.3f}" for t, v in scores.items())
          + f", avg(0.3:0.7)={average:.3f}")


if __name__ == "__main__":
    main()
