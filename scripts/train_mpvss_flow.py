"""Train the bundled MPVSS motion module (assets/models/mpvss-flow-tiny-toy) on toy-world clip pairs.

The key-frame segmentor (assets/models/query-segmentor-tiny-toy) is frozen, as in MPVSS step 2. For a key
frame k and a later frame t (1-9 frames apart) the module predicts per-query flows from (frame t, frame k,
key queries); losses: the warped-mask loss (NLL of the ground-truth classes of frame t under the key masks
warped with each query's flow, classes reused from k) plus end-point error against the toy world's exact
backward flow (pixel flow everywhere; each query's flow where its mask lands), and the cross-entropy of the
refined prediction: a light refiner corrects the warped class scores from the current frame's low-level
features, where warping cannot know what is there (newly visible background, entering objects). Seeded;
prints the held-out mIoU of propagation at k=5 next to per-frame segmentation, plain DIS flow and no flow.

Robust training data, as for the segmentor (lib.methods.mask_propagation.training): each clip is rendered at
128 or 256 px and degraded once for the whole clip (an H.264 round trip runs over all 32 frames). Labels and
exact flows come from the clean render, brought to the 128 px grid.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a file

from lib.methods.mask_propagation.data import held_out_seeds, train_seeds  # noqa: E402
from lib.methods.mask_propagation.degrade import DegradeConfig  # noqa: E402
from lib.methods.mask_propagation.evaluate import evaluate_toy  # noqa: E402
from lib.methods.mask_propagation.flow_model import MPVSSFlow  # noqa: E402
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor  # noqa: E402
from lib.methods.mask_propagation.training import build_pairs, flow_steps  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402
from lib.training import fit, one_cycle  # noqa: E402

SEGMENTOR = "assets/models/query-segmentor-tiny-toy"
OUT = "assets/models/mpvss-flow-tiny-toy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--clips", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--segmentor", default=SEGMENTOR)
    parser.add_argument("--render-2x", type=float, default=0.5, help="share of clips rendered at 256 px and shrunk")
    parser.add_argument("--no-degrade", action="store_true", help="no blur / noise / codec / colour jitter")
    parser.add_argument("--no-refiner", action="store_true", help="warped masks only (MPVSS as published)")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one thread: far faster than two on a busy shared CPU
    start = time.time()
    segmentor = QuerySegmentor.from_pretrained(args.segmentor).eval().requires_grad_(False)
    data = build_pairs(segmentor, train_seeds(args.clips), args.render_2x, None if args.no_degrade else DegradeConfig())
    print(f"{len(data['current'])} pairs from {args.clips} clips in {time.time() - start:.0f} s", flush=True)
    # dim 40 and a 16-channel upsampling pay for the refiner: flow + refiner stay under 1/7 of a segmentation
    model = MPVSSFlow(query_dim=segmentor.dim, num_queries=segmentor.num_queries, dim=40, up_width=16,
                      num_classes=0 if args.no_refiner else segmentor.num_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(args.seed)
    steps = flow_steps(model, data, gen, steps=args.steps, batch=args.batch)
    fit(model, steps, opt, one_cycle(opt, args.steps, pct_start=0.05), log_every=100, total_steps=args.steps)
    model.eval()
    save_bundled(model, args.out)
    print(f"saved {args.out}")
    scores = evaluate_toy(segmentor, model, held_out_seeds(20), k=5)
    print("held-out mIoU at k=5 (20 clips): " + ", ".join(f"{n} {v:.4f}" for n, v in scores.items()))


if __name__ == "__main__":
    main()
