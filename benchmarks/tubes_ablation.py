"""TubeViT's ablation on the toy world, side by side in one run: tubes vs dense tokenisation; with and without
image pretraining (an image ViT inflated into the tubes); with and without joint image training; interpolated
vs separate kernels.

Each variant is one run of scripts/train_tubevit.py (same data, seed, width, depth, schedule), in its own
process, `--parallel` at a time with one thread each; every variant is scored on the same 400 held-out clips.
Tokens and forward GFLOPs (torch.utils.flop_counter) come from the trained models. The dense variants take
4-5x the time of the tube ones (576 tokens against 99). The last line is one JSON object.

    python benchmarks/tubes_ablation.py [--only tubes-pretrain-joint,dense-pretrain] [--parallel 2] [--quick]
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.hooks import count_model_flops  # noqa: E402
from lib.methods.tubes.model import TubeViT  # noqa: E402

# name -> arguments of scripts/train_tubevit.py beyond the shared ones
VARIANTS: dict[str, list[str]] = {
    "tubes-scratch": ["--model", "tubevit"],
    "tubes-pretrain": ["--model", "tubevit", "--image-pretrain", "20000"],
    "tubes-pretrain-joint": ["--model", "tubevit", "--image-pretrain", "20000", "--joint"],
    "tubes-pretrain-joint-interpolated": ["--model", "tubevit", "--image-pretrain", "20000", "--joint",
                                          "--interpolated-kernels"],
    "dense-scratch": ["--model", "dense"],
    "dense-pretrain": ["--model", "dense", "--image-pretrain", "20000"],
}
_TOP1 = re.compile(r"held-out top-1 ([0-9.]+)")
_IMAGE_TOP1 = re.compile(r"image ViT: held-out shape top-1 ([0-9.]+)")


def run_variant(name: str, args, out: Path) -> dict:
    """Train one variant; its held-out top-1, minutes, tokens and GFLOPs."""
    extra = VARIANTS[name]
    if args.quick:  # a check that every variant runs, not a measurement
        extra = [("2000" if a == "20000" else a) for a in extra] + ["--train-clips", "200", "--held-out-clips",
                                                                    "100", "--epochs", "2", "--image-epochs", "1"]
    command = [sys.executable, str(ROOT / "scripts" / "train_tubevit.py"), *extra, "--seed", str(args.seed),
               "--cache-dir", args.cache_dir, "--out", str(out / name)]
    start = time.time()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    (out / f"{name}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        return {"variant": name, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    model = TubeViT.from_pretrained(str(out / name)).eval()
    one = torch.zeros(1, 3, *model.input_shape)
    image = _IMAGE_TOP1.search(done.stdout)
    return {"variant": name, "top1": float(_TOP1.search(done.stdout).group(1)),
            "image_top1": float(image.group(1)) if image else None, "minutes": round((time.time() - start) / 60, 1),
            "tokens": model.layout(model.input_shape).num_tokens,
            "gflops": round(count_model_flops(model, one).gflops, 5)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny data and epochs: checks the runs, measures nothing")
    parser.add_argument("--cache-dir", default="/tmp/tubes_data")
    parser.add_argument("--out", default="/tmp/tubes_ablation")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.parallel) as pool:
        rows = list(pool.map(lambda n: run_variant(n, args, out), names))
    for row in rows:
        if "error" in row:
            print(f"{row['variant']:36s} failed: {row['error']}")
            continue
        image = f"  image ViT shape top-1 {row['image_top1']:.3f}" if row["image_top1"] is not None else ""
        print(f"{row['variant']:36s} top-1 {row['top1']:.3f}  tokens {row['tokens']:4d}  "
              f"{row['gflops']:.4f} GFLOPs  {row['minutes']:5.1f} min{image}")
    by = {row["variant"]: row for row in rows if "error" not in row}
    best_tubes = max((r for n, r in by.items() if n.startswith("tubes")), key=lambda r: r["top1"], default=None)
    best_dense = max((r for n, r in by.items() if n.startswith("dense")), key=lambda r: r["top1"], default=None)
    summary = {"benchmark": "tubes_ablation", "quick": args.quick, "seed": args.seed, "variants": rows}
    if best_tubes and best_dense:
        summary.update(gap_points=round(100 * (best_dense["top1"] - best_tubes["top1"]), 1),
                       token_ratio=round(best_dense["tokens"] / best_tubes["tokens"], 2),
                       flop_ratio=round(best_dense["gflops"] / best_tubes["gflops"], 2),
                       target_met=None if args.quick else bool(
                           best_dense["top1"] - best_tubes["top1"] <= 0.02
                           and best_dense["tokens"] >= 5 * best_tubes["tokens"]
                           and best_dense["gflops"] >= 3 * best_tubes["gflops"]))
        verdict = ("not judged (--quick measures nothing)" if args.quick
                   else "met" if summary["target_met"] else "not met")
        print(f"best tubes {best_tubes['variant']} vs best dense {best_dense['variant']}: "
              f"{summary['gap_points']:+.1f} points for the dense, {summary['token_ratio']}x tokens, "
              f"{summary['flop_ratio']}x FLOPs; target (within 2 points, >= 5x tokens, >= 3x FLOPs) {verdict}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
