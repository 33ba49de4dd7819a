"""Train the bundled FrameViT frame encoder on toy-world frames and save it to assets/models/frame-vit-toy/.

    python scripts/train_frame_vit.py                # reproduces the committed weights (seed 0)
    python scripts/train_frame_vit.py --steps 50 --clips 40 --out /tmp/fv   # a quick smoke run

Data, objective and held-out report: lib/methods/token_merging/training.py (actor class from CLS +
per-patch semantic class + per-patch colours). Prints the held-out scores (toy seeds from
SEEDS.held_out_start, never used here) without and with ToMe.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.methods.token_merging.model import FrameViT  # noqa: E402
from lib.methods.token_merging.training import frame_vit_losses, held_out_report, training_data  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402
from lib.training import cosine_with_warmup, fit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=450)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--clips", type=int, default=1500, help="training clips (3 frames each)")
    parser.add_argument("--held-out", type=int, default=200, help="held-out clips")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tome-r", type=int, default=20, help="ToMe r per block for the held-out check")
    parser.add_argument("--out", default="assets/models/frame-vit-toy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    train, held = training_data(args.clips, args.held_out)
    print(f"data: {len(train)} training frames, {len(held)} held-out frames ({time.time() - start:.0f} s)", flush=True)
    model = FrameViT()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    fit(model, frame_vit_losses(model, train, rng, steps=args.steps, batch=args.batch), optimiser,
        cosine_with_warmup(optimiser, args.steps, warmup=args.steps // 20), total_steps=args.steps)
    folder = save_bundled(model, args.out)
    print(f"saved {folder} ({sum(p.numel() for p in model.parameters())} parameters) after {time.time() - start:.0f} s")
    print("\n".join(held_out_report(model, held, r=args.tome_r)))


if __name__ == "__main__":
    main()
