"""Benchmark: what each efficient-training technique costs on one training step, side by side in one run.

Same model, same initial weights, same batch for every recipe. Time: the recipes train in turns (one step of
each per round), and each recipe's time is its fastest step after the first, because on a shared machine
other processes only ever add time. Memory: tensor memory through PyTorch's CPU allocator (profiler), and,
as a cross-check, the process-RSS high-water mark of each recipe in its own fresh process.

    /work/venv/bin/python benchmarks/training_cost.py [--steps 6] [--batch 2] [--no-rss]

The last line is one JSON object (keys: baseline_seconds, baseline_peak_mb, <technique>_seconds,
<technique>_peak_mb, lora_trainable_fraction, plus activation / RSS figures and the targets' verdicts).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from lib.methods.training_cost.model import SmallVideoTransformerConfig  # noqa: E402
from lib.methods.training_cost.predict import predict_memory  # noqa: E402
from lib.methods.training_cost.recipe import recipe_for  # noqa: E402
from lib.methods.training_cost.rss import rss_peak_isolated  # noqa: E402
from lib.methods.training_cost.step import initial_state, measure_memory, time_interleaved  # noqa: E402
from lib.methods.training_cost.taxonomy import machine_description  # noqa: E402

MB = 2 ** 20
NAMES = ("bf16", "checkpointing", "token_drop", "freeze", "lora", "grad_accum", "fused_attention")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-rss", action="store_true", help="skip the fresh-process RSS cross-check")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    config = SmallVideoTransformerConfig(num_frames=args.frames, image_size=args.size, dim=192, depth=6, heads=3)
    recipes = {"baseline": recipe_for([])} | {name: recipe_for([name], keep_ratio=0.5) for name in NAMES}
    generator = torch.Generator().manual_seed(0)
    video = torch.rand(args.batch, 3, config.num_frames, config.image_size, config.image_size, generator=generator)
    labels = torch.randint(0, config.num_classes, (args.batch,), generator=generator)
    state = initial_state(config)
    print(f"machine: {machine_description()}; model: {config.depth} blocks, width {config.dim}, "
          f"{config.num_tokens} tokens per clip; batch {args.batch}; {args.steps} steps per recipe, in turns")

    runs = None
    for runs in time_interleaved(config, list(recipes.values()), video, labels, state, steps=args.steps):
        pass
    measured = {}
    for name, run in zip(recipes, runs):
        measured[name] = run.finish(measure_memory(config, run.recipe, video, labels, state))
    rss = {} if args.no_rss else {name: rss_peak_isolated(config, r, args.batch, threads=args.threads)
                                  for name, r in recipes.items()}

    base = measured["baseline"]
    print(f"{'recipe':28s} {'s/step':>7s} {'x time':>7s} {'peak MB':>8s} {'x peak':>7s} {'stored act MB':>13s} "
          f"{'step peak MB':>12s} {'pred MB':>8s} {'RSS MB':>7s} {'train %':>8s} {'loss':>13s}")
    for name, m in measured.items():
        rss_mb = f"{rss[name] / MB:7.1f}" if rss else "      -"
        print(f"{m.recipe.label:28s} {m.seconds_per_step:7.3f} {m.seconds_per_step / base.seconds_per_step:7.2f} "
              f"{m.memory.peak_bytes / MB:8.1f} {m.memory.peak_bytes / base.memory.peak_bytes:7.2f} "
              f"{m.memory.activation_bytes / MB:13.1f} {m.memory.step_peak_bytes / MB:12.1f} "
              f"{predict_memory(config, m.recipe, args.batch).total / MB:8.1f} {rss_mb} "
              f"{100 * m.trainable_fraction:8.2f} {m.losses[0]:6.3f}->{m.losses[-1]:5.3f}")

    summary: dict[str, float | bool] = {"baseline_seconds": round(base.seconds_per_step, 4),
                                        "baseline_peak_mb": round(base.memory.peak_bytes / MB, 2),
                                        "baseline_activation_mb": round(base.memory.activation_bytes / MB, 2)}
    for name in NAMES:
        m = measured[name]
        summary[f"{name}_seconds"] = round(m.seconds_per_step, 4)
        summary[f"{name}_peak_mb"] = round(m.memory.peak_bytes / MB, 2)
        summary[f"{name}_activation_mb"] = round(m.memory.activation_bytes / MB, 2)
    if rss:
        summary.update({f"{name}_rss_peak_mb": round(v / MB, 1) for name, v in rss.items()})
    summary["lora_trainable_fraction"] = round(measured["lora"].trainable_fraction, 5)
    ckpt = measured["checkpointing"]
    summary["checkpointing_stored_activation_ratio"] = round(
        ckpt.memory.activation_bytes / base.memory.activation_bytes, 3)
    summary["checkpointing_step_peak_ratio"] = round(ckpt.memory.step_peak_bytes / base.memory.step_peak_bytes, 3)
    summary["checkpointing_time_ratio"] = round(ckpt.seconds_per_step / base.seconds_per_step, 3)
    summary["token_drop_speedup"] = round(base.seconds_per_step / measured["token_drop"].seconds_per_step, 3)
    summary["bf16_speedup"] = round(base.seconds_per_step / measured["bf16"].seconds_per_step, 3)
    summary["target_checkpointing"] = (summary["checkpointing_step_peak_ratio"] <= 0.5
                                       and summary["checkpointing_time_ratio"] <= 1.5)
    summary["target_token_drop"] = summary["token_drop_speedup"] >= 1.6
    summary["target_lora"] = summary["lora_trainable_fraction"] <= 0.02
    summary["target_bf16"] = summary["bf16_speedup"] > 1.0
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
