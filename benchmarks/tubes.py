"""TubeViT-tiny vs its dense ViViT-style twin on held-out toy-world clips, measured side by side in one run.

Prints top-1 accuracy (on clips rendered like the training clips, and on the other toy-world setting:
actor alone under a still camera vs distractors under a moving camera), tokens, forward GFLOPs
(torch.utils.flop_counter) and the CPU latency ratio (dense / tubevit, medians of interleaved single-clip
forwards). The last line is one JSON object; its accuracies are those on the training setting.

    python benchmarks/tubes.py [--clips 400] [--repeats 20] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.hooks import count_model_flops  # noqa: E402
from lib.methods.tubes.data import CAMERA_MOTION, SOLO, load_split  # noqa: E402
from lib.methods.tubes.model import normalise_batch  # noqa: E402
from lib.methods.tubes.training import evaluate  # noqa: E402
from lib.models import get_spec, load_from  # noqa: E402

MODELS = ("tubevit-tiny-toy", "vivit-dense-tiny-toy")


@torch.no_grad()
def latencies(models: dict, video: torch.Tensor, repeats: int) -> dict[str, float]:
    """Median seconds per single-clip forward, the models interleaved so load changes hit both alike."""
    times: dict[str, list[float]] = {name: [] for name in models}
    for name, model in models.items():  # warm-up
        model(video)
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model(video)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def held_out_set(args, shape, camera_motion: bool, solo: bool) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """(clips (N, 3, T, H, W) uint8, labels (N,), seeds (N,)) of held-out clips rendered with these settings."""
    return load_split("held_out", args.clips, num_frames=shape[0], source_size=64, size=shape[1],
                      camera_motion=camera_motion, solo=solo, cache_dir=args.cache_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=400, help="held-out clips (seeds 1,000,000 on)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache-dir", default="/tmp/tubes_data")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    models = {name: load_from(get_spec(name), device="cpu") for name in MODELS}
    shape = models[MODELS[0]].input_shape
    assert all(m.input_shape == shape for m in models.values()), "both models must read the same clip shape"
    # The setting the models were trained on gives the JSON figures; the other is printed for comparison.
    settings = {"trained setting": (CAMERA_MOTION, SOLO), "other setting": (not CAMERA_MOTION, not SOLO)}
    stats: dict[str, dict] = {name: {} for name in MODELS}
    for label, (camera_motion, solo) in settings.items():
        clips, labels, seeds = held_out_set(args, shape, camera_motion, solo)
        print(f"{label}: {len(labels)} held-out clips (seeds {int(seeds[0])}..{int(seeds[-1])}), camera motion "
              f"{camera_motion}, actor alone {solo}, input {shape}")
        for name, model in models.items():
            stats[name][label] = evaluate(model, clips, labels, batch=50)
            print(f"  {name:22s} top-1 {stats[name][label]:.3f}")
    one = normalise_batch(clips[:1], models[MODELS[0]])
    for name, model in models.items():
        stats[name].update(tokens=model.layout(shape).num_tokens, gflops=count_model_flops(model, one).gflops)
    seconds = latencies(models, one, args.repeats)
    for name in MODELS:
        s = stats[name]
        print(f"{name:22s} tokens {s['tokens']:4d}  forward {s['gflops']:.4f} GFLOPs  "
              f"latency {seconds[name] * 1000:.1f} ms")
    sparse, dense = stats[MODELS[0]], stats[MODELS[1]]
    print(f"dense / tubevit: tokens {dense['tokens'] / sparse['tokens']:.1f}x, GFLOPs "
          f"{dense['gflops'] / sparse['gflops']:.1f}x, latency {seconds[MODELS[1]] / seconds[MODELS[0]]:.1f}x")
    print(json.dumps({"tubevit_acc": round(sparse["trained setting"], 4),
                      "dense_acc": round(dense["trained setting"], 4),
                      "tubevit_tokens": sparse["tokens"], "dense_tokens": dense["tokens"],
                      "tubevit_gflops": round(sparse["gflops"], 5), "dense_gflops": round(dense["gflops"], 5),
                      "latency_ratio": round(seconds[MODELS[1]] / seconds[MODELS[0]], 2)}))


if __name__ == "__main__":
    main()
