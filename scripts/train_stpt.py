"""Train the bundled STPT-style detector (local windows early) or its all-global twin on toy-world videos.

    python scripts/train_stpt.py --variant local   # -> assets/models/stpt-tiny-toy/
    python scripts/train_stpt.py --variant global  # -> assets/models/stpt-global-tiny-toy/

Same seed, data, schedule and architecture for both; only `local_stages` differs. Training videos are
LongToyVideo seeds SEEDS.train(N) (80 input frames = 320 source frames each, random 64-frame windows,
random left-right mirroring); the printed held-out score uses SEEDS.held_out (from 100_000), never trained
on. Data, loss and evaluation: lib/methods/attention/training.py; the loop: lib.training.fit.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.methods.attention.training import build, detection_losses, held_out_report, training_videos  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402
from lib.training import cosine_with_warmup, fit  # noqa: E402

OUT = {"local": "assets/models/stpt-tiny-toy", "global": "assets/models/stpt-global-tiny-toy"}


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
    started = time.time()
    videos = training_videos(args.videos, model, cache=args.cache)
    print(f"rendered {len(videos)} training videos in {time.time() - started:.0f} s", flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    model.train()
    fit(model, detection_losses(model, videos, rng, steps=args.steps, batch=args.batch), optimiser,
        cosine_with_warmup(optimiser, args.steps, warmup=args.steps // 20), clip_norm=1.0, log_every=25,
        total_steps=args.steps)
    model.eval()
    folder = save_bundled(model, args.out or OUT[args.variant])
    print(f"saved {folder}; training took {time.time() - started:.0f} s")
    print(held_out_report(model, args.held_out))


if __name__ == "__main__":
    main()
