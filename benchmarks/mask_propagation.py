"""Benchmark: MPVSS mask propagation vs per-frame segmentation, plain flow and no flow on held-out toy-world clips.

Measures side by side in one run, on N held-out clips (32 frames, 128 x 128, seeds never used in training):
mIoU against exact ground truth, FLOPs per frame (torch FlopCounterMode, the refiner included) and wall time
per frame, for every flow method at k = 2, 3, 5, 8, 10, plus per-frame segmentation (k = 1) and, as the
ablation, MPVSS without its refiner (the same flows, warped masks only). DIS runs in OpenCV outside the FLOP
counter: its GFLOPs are the key frames' only. mIoU is the standard one: per class over the classes present in
the ground truth or the prediction, accumulated over all clips. It prints the issue's three targets at k with
met / missed, writes the figures (and the command) to assets/benchmarks/mask_propagation.json for the tab's
paper-vs-measured table, and its last line is the same JSON object.

    python benchmarks/mask_propagation.py [--clips 20] [--k 5] [--json PATH]
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a file

from lib.methods.mask_propagation.data import held_out_seeds  # noqa: E402
from lib.methods.mask_propagation.evaluate import UNREFINED, sweep_toy  # noqa: E402
from lib.methods.mask_propagation.sweep import SWEEP_KS  # noqa: E402
from lib.models import load_model  # noqa: E402

JSON_OUT = Path(__file__).resolve().parents[1] / "assets" / "benchmarks" / "mask_propagation.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=str(JSON_OUT), help="where the figures go ('' writes nothing)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    segmentor = load_model("query-segmentor-tiny-toy", device="cpu")
    motion = load_model("mpvss-flow-tiny-toy", device="cpu")
    start = time.time()
    points = sweep_toy(segmentor, motion, held_out_seeds(args.clips), ks=SWEEP_KS, unrefined=True)
    print(f"{args.clips} held-out clips x 32 frames (128x128), {time.time() - start:.0f} s")
    print(f"{'method':<16} {'k':>3} {'GFLOPs/frame':>13} {'mIoU':>7} {'ms/frame':>9} {'warp err':>9}")
    for p in points:
        print(f"{p.method:<16} {p.k:>3} {p.gflops_per_frame:>13.4f} {p.miou:>7.4f} "
              f"{p.seconds_per_frame * 1e3:>9.2f} {p.mean_warp_error:>9.2f}")
    at = {p.method: p for p in points if p.k == args.k}
    base = next(p for p in points if p.method == "per-frame")
    mpvss, dis, none = at["mpvss"], at["dis"], at["none"]
    flop_ratio = mpvss.gflops_per_frame / base.gflops_per_frame
    drop = 100 * (base.miou - mpvss.miou)
    over_dis = 100 * (mpvss.miou - dis.miou)
    targets = {"flops_at_most_a_third": flop_ratio <= 1 / 3, "miou_drop_at_most_2_points": drop <= 2.0,
               "above_plain_flow": over_dis > 0}
    verdict = {True: "met", False: "MISSED"}
    print(f"k={args.k}: MPVSS FLOPs / per-frame FLOPs = {flop_ratio:.3f} (target <= 0.333: "
          f"{verdict[targets['flops_at_most_a_third']]}); mIoU drop = {drop:.2f} points (target <= 2: "
          f"{verdict[targets['miou_drop_at_most_2_points']]}); MPVSS - plain flow = {over_dis:+.2f} points (target "
          f"> 0: {verdict[targets['above_plain_flow']]}); MPVSS - no flow = {100 * (mpvss.miou - none.miou):+.2f}")
    if UNREFINED in at:
        print(f"k={args.k}: without the refiner (same flows) mIoU {at[UNREFINED].miou:.4f}, "
              f"{100 * (mpvss.miou - at[UNREFINED].miou):+.2f} points for the refiner")
    # On a 32-frame clip the key frames are ceil(32 / k) of 32, a bit more than 1 / k; over a long video:
    motion_gflops = (mpvss.flops - none.flops) / max(mpvss.non_key_frames, 1) / 1e9
    steady = (base.gflops_per_frame + (args.k - 1) * motion_gflops) / args.k / base.gflops_per_frame
    print(f"k={args.k}: motion module + refiner {motion_gflops:.4f} GFLOPs per warped frame = "
          f"{motion_gflops / base.gflops_per_frame:.3f} of a segmentation; long-video MPVSS / per-frame FLOPs = "
          f"{steady:.3f}")
    print(f"k={args.k}: wall time per frame, MPVSS / per-frame = "
          f"{mpvss.seconds_per_frame / base.seconds_per_frame:.3f}, "
          f"plain flow / per-frame = {dis.seconds_per_frame / base.seconds_per_frame:.3f}")
    out = {"benchmark": "mask_propagation", "command": "python " + " ".join(["benchmarks/mask_propagation.py",
                                                                          *sys.argv[1:]]),
           "measured": f"{datetime.date.today().isoformat()}, {torch.get_num_threads()} CPU thread(s)",
           "per_frame_miou": round(base.miou, 4), "mpvss_miou": round(mpvss.miou, 4),
           "mpvss_unrefined_miou": round(at[UNREFINED].miou, 4) if UNREFINED in at else None,
           "plain_flow_miou": round(dis.miou, 4), "no_flow_miou": round(none.miou, 4),
           "per_frame_gflops": round(base.gflops_per_frame, 5), "mpvss_gflops": round(mpvss.gflops_per_frame, 5),
           "plain_flow_gflops": round(dis.gflops_per_frame, 5), "flop_ratio": round(flop_ratio, 4),
           "miou_drop_points": round(drop, 2), "mpvss_minus_plain_flow_points": round(over_dis, 2),
           "motion_gflops_per_warped_frame": round(motion_gflops, 5), "long_video_flop_ratio": round(steady, 4),
           "targets": targets, "k": args.k, "clips": args.clips, "plain_flow_gflops_excludes_opencv_dis": True}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
