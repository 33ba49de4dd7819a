"""CPU runtimes for the pretrained encoders, side by side: eager, bf16 autocast, torch.compile, ONNX Runtime, OpenVINO.

Models: the full-size rehearsal (real architecture from assets/hub_configs, seeded random weights; timings
real, outputs meaningless) of CLIP ViT-B/16 and ViT-L/14 vision towers (CLIPVisionModelWithProjection,
image_embeds), ViT-B/16 (ViTForImageClassification, logits), VideoMAE-B (16x224x224 clip, logits) and
Mask2Former Swin-T ADE at 384x384 (per-pixel semantic scores: softmax(class) x sigmoid(mask), as the app
post-processes). Inputs: a batch of 8 frames for image models, 1 clip for VideoMAE; the same seeded tensor
for every runtime. Runtimes (each on --threads threads):

    eager          PyTorch float32, sdpa attention (the reference every ratio and difference is taken against)
    bf16           eager under torch.autocast("cpu", bfloat16): what lib/models/precision.py does
    inductor       torch.compile, default mode;   inductor-bf16: the same under bf16 autocast
    inductor-max   torch.compile(mode="max-autotune-no-cudagraphs")
    onnxruntime    torch.onnx.export (fp32) run by ONNX Runtime, graph optimisations ORT_ENABLE_ALL
    openvino       the same ONNX file compiled by OpenVINO, f32 inference precision hint
    openvino-bf16  OpenVINO with the bf16 inference precision hint (only where the CPU has BF16)

Per (model, runtime): seconds per item (median of --repeats calls after a warm-up; runtimes of one model are
timed in interleaved rounds, so a load change on this shared machine hits them all alike), speed-up vs eager,
output difference vs eager (max |y - y_eager| / max |y_eager|, minimum per-item cosine similarity, top-1
agreement where there are logits), setup seconds (compile or export + session build, first call included),
achieved GFLOP/s (FLOPs per item counted by torch.utils.flop_counter.FlopCounterMode on the eager model; a
multiply-add counts 2) and its fraction of this machine's dense matmul peak, measured in the same run, at the
start and at the end (the best of both kept): 4096^2 @ 4096^2 in torch fp32 and bf16, and in ONNX Runtime fp32
(MLAS) where installed, since torch's fp32 GEMM (MKL) is not the fastest one on every CPU; fp32 runtimes are
compared with the best fp32 figure, bf16 runtimes with the bf16 one. A runtime whose package
is absent prints "not installed"; one that fails prints why and the rest go on. Load average at start and
end. The last line is one JSON object with every figure.

    python benchmarks/encoder_runtimes.py [--quick] [--threads 2] [--models clip-vit-b16,...]
                                          [--runtimes eager,bf16,...] [--repeats 3]

--quick: tiny configs of the same architectures (seconds per model), for the test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.encoder_backends import (  # noqa: E402
    BF16_RUNTIMES,
    RUNTIMES,
    Prepared,
    Skip,
    measure_peaks,
    peak_for,
    prepare,
    print_peaks,
)
from benchmarks.encoder_models import CASES, Case, Head, build_model, count_flops, items_of, make_input  # noqa: E402


def compare(out: torch.Tensor, ref: torch.Tensor, has_logits: bool) -> dict:
    """Difference of `out` from the eager `ref`: max abs diff over max |ref|, min cosine per item, top-1 agreement."""
    out, ref = out.double(), ref.double()
    rel = float((out - ref).abs().max() / ref.abs().max().clamp_min(1e-30))
    cosine = float(torch.nn.functional.cosine_similarity(out.flatten(1), ref.flatten(1), dim=1).min())
    result = {"max_rel_diff": rel, "min_cosine": cosine}
    if has_logits:
        axis = 1 if out.dim() == 4 else -1  # (B, C, H, W) per-pixel classes, else (B, C)
        result["top1_agreement"] = float((out.argmax(axis) == ref.argmax(axis)).double().mean())
    return result


def bench_model(case: Case, runtimes: list[str], args: argparse.Namespace, peaks: dict) -> dict:
    """Every runtime on one model: prepared one after another, then timed in interleaved rounds."""
    build = time.perf_counter()
    model = build_model(case, args.quick)
    head = Head(model, case.kind)
    x = make_input(case, model, args.batch, args.quick)
    items = items_of(case, x)
    flops = count_flops(head, x) / items
    params = sum(p.numel() for p in model.parameters())
    print(f"\n== {case.name} ({case.repo_id}{', tiny' if args.quick else ''}): {params / 1e6:.1f} M parameters, "
          f"input {tuple(x.shape)}, {flops / 1e9:.2f} GFLOP per item ({flops / 2e9:.2f} GMAC), "
          f"built in {time.perf_counter() - build:.1f} s", flush=True)
    prepared: dict[str, Prepared] = {}
    skipped: dict[str, str] = {}
    onnx_cache: dict = {}
    with tempfile.TemporaryDirectory(prefix=f"encoder-runtimes-{case.name}-") as tmp:
        for runtime in runtimes:
            try:
                prepared[runtime] = prepare(runtime, head, x, Path(tmp), args.threads, onnx_cache)
                print(f"  {runtime:14s} ready, setup {prepared[runtime].setup_s:7.1f} s "
                      f"{' '.join(prepared[runtime].notes)}", flush=True)
            except Skip as reason:
                skipped[runtime] = str(reason)
                print(f"  {runtime:14s} skipped: {reason}", flush=True)
        # the dynamo exporter writes the weights beside the graph (model.onnx.data): count every file
        onnx_mb = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6 if "path" in onnx_cache else None
        times: dict[str, list[float]] = {r: [] for r in prepared}
        outputs = {r: p.run() for r, p in prepared.items()}  # warm-up call, and the output compared
        for _ in range(args.repeats):
            for runtime, ready in prepared.items():
                start = time.perf_counter()
                ready.run()
                times[runtime].append(time.perf_counter() - start)
    torch._dynamo.reset()  # free the compiled graphs of this model
    ref = outputs.get("eager")
    eager_s = statistics.median(times["eager"]) / items if "eager" in times else None
    rows = {}
    for runtime, ready in prepared.items():
        per_item = statistics.median(times[runtime]) / items
        gflops = flops / per_item / 1e9
        peak = peak_for(runtime, peaks)
        row = {"s_per_item": per_item, "speedup_vs_eager": eager_s / per_item if eager_s else None,
               "setup_s": ready.setup_s, "gflops_per_s": gflops, "peak_fraction": gflops / peak,
               "peak_used": "bf16" if runtime in BF16_RUNTIMES else "fp32", "notes": ready.notes,
               "runs_s": times[runtime]}
        if ref is not None:
            row.update(compare(outputs[runtime], ref, case.has_logits))
        rows[runtime] = row
    print(f"  {'runtime':14s} {'s/item':>8s} {'x eager':>8s} {'GFLOP/s':>8s} {'of peak':>8s} {'rel diff':>9s} "
          f"{'min cos':>9s} {'top-1':>6s} {'setup s':>8s}")
    for runtime, row in rows.items():
        top1 = f"{row['top1_agreement']:6.2f}" if "top1_agreement" in row else f"{'-':>6s}"
        print(f"  {runtime:14s} {row['s_per_item']:8.3f} {row['speedup_vs_eager'] or float('nan'):8.2f} "
              f"{row['gflops_per_s']:8.1f} {row['peak_fraction']:7.0%}{row['peak_used'][0]} "
              f"{row.get('max_rel_diff', float('nan')):9.2e} {row.get('min_cosine', float('nan')):9.6f} {top1} "
              f"{row['setup_s']:8.1f}")
    for runtime, reason in skipped.items():
        print(f"  {runtime:14s} {reason}")
    return {"repo_id": case.repo_id, "params_m": params / 1e6, "input_shape": list(x.shape), "items": items,
            "gflop_per_item": flops / 1e9, "onnx_mb": onnx_mb, "runtimes": rows, "skipped": skipped}


def package_versions() -> dict:
    """Versions of the runtime packages (None when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "openvino"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny configs of the same architectures (seconds)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8, help="frames per call for image models (VideoMAE: 1 clip)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per runtime after the warm-up")
    parser.add_argument("--models", default=",".join(c.name for c in CASES))
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    args = parser.parse_args(argv)
    cases = [c for c in CASES if c.name in args.models.split(",")]
    runtimes = [r for r in args.runtimes.split(",") if r]
    unknown = [r for r in runtimes if r not in RUNTIMES] + [m for m in args.models.split(",")
                                                              if m not in {c.name for c in CASES}]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}; runtimes: {', '.join(RUNTIMES)}; models: "
                     f"{', '.join(c.name for c in CASES)}")
    if "eager" in runtimes:
        runtimes.remove("eager")
    runtimes.insert(0, "eager")  # the reference comes first
    torch.set_num_threads(args.threads)
    import torch._inductor.config as inductor_config

    inductor_config.force_disable_caches = True  # compile times as a fresh Space sees them, not from /tmp's cache
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))  # for inductor's compiled kernels
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    load_start = os.getloadavg()
    versions = package_versions()
    listed = ", ".join(f"{name} {found or 'not installed'}" for name, found in versions.items())
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}; "
          f"threads {args.threads}; {listed}")
    for name in ("onnxruntime", "openvino"):
        if versions[name] is None:
            print(f"{name}: not installed (pip install {name}); its runtimes are skipped")
    peak_n = 1024 if args.quick else 4096
    start_peaks = measure_peaks(args.threads, peak_n)
    print_peaks("at start", start_peaks, peak_n, args.threads)
    models = {case.name: bench_model(case, runtimes, args, start_peaks) for case in cases}
    end_peaks = measure_peaks(args.threads, peak_n)
    print_peaks("at end", end_peaks, peak_n, args.threads)
    peaks = {key: max(start_peaks[key] or 0.0, end_peaks[key] or 0.0) or None for key in start_peaks}
    print("\nsummary (fraction of the best peak of start and end; f: fp32 peak, b: bf16 peak)")
    print(f"  {'model':24s} {'runtime':14s} {'s/item':>8s} {'x eager':>8s} {'GFLOP/s':>8s} {'of peak':>8s} "
          f"{'rel diff':>9s} {'setup s':>8s}")
    for name, model in models.items():
        for runtime, row in model["runtimes"].items():
            row["peak_fraction"] = row["gflops_per_s"] / peak_for(runtime, peaks)
            print(f"  {name:24s} {runtime:14s} {row['s_per_item']:8.3f} {row['speedup_vs_eager'] or float('nan'):8.2f} "
                  f"{row['gflops_per_s']:8.1f} {row['peak_fraction']:7.0%}{row['peak_used'][0]} "
                  f"{row.get('max_rel_diff', float('nan')):9.2e} {row['setup_s']:8.1f}")
    load_end = os.getloadavg()
    print(f"\nload average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
    result = {"benchmark": "encoder_runtimes", "quick": args.quick, "threads": args.threads, "batch": args.batch,
              "repeats": args.repeats, "versions": versions, "matmul_peak_gflops": peaks,
              "matmul_peak_gflops_start": start_peaks, "matmul_peak_gflops_end": end_peaks,
              "load_average_start": list(load_start), "load_average_end": list(load_end), "models": models}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
