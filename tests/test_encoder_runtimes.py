"""benchmarks/encoder_runtimes.py --quick runs, compares every runtime with eager and ends with one JSON line."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES = ["eager", "bf16", "inductor", "onnxruntime", "openvino"]


@pytest.mark.slow
def test_quick_run_reports_every_runtime_against_eager():
    run = subprocess.run([sys.executable, "benchmarks/encoder_runtimes.py", "--quick", "--repeats", "2",
                          "--models", "clip-vit-b16,vit-b16-in1k", "--runtimes", ",".join(RUNTIMES)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert "load average at start" in run.stdout and "load average at end" in run.stdout
    assert result["matmul_peak_gflops"]["fp32"] > 0 and result["matmul_peak_gflops"]["bf16"] > 0
    assert "dense matmul peak at end" in run.stdout
    assert set(result["models"]) == {"clip-vit-b16", "vit-b16-in1k"}
    for name, model in result["models"].items():
        assert model["gflop_per_item"] > 0, name
        rows, skipped = model["runtimes"], model["skipped"]
        assert set(rows) | set(skipped) == set(RUNTIMES), name
        assert {"eager", "bf16"} <= set(rows), name  # plain PyTorch always runs
        assert rows["eager"]["speedup_vs_eager"] == 1.0 and rows["eager"]["max_rel_diff"] == 0.0
        for runtime, row in rows.items():
            assert row["s_per_item"] > 0 and row["gflops_per_s"] > 0 and 0 < row["peak_fraction"], (name, runtime)
            # fp32 runtimes give eager's output to float rounding; bf16 to about 1e-2 (precision.py's claim)
            limit = 5e-2 if runtime == "bf16" else 1e-4
            assert row["max_rel_diff"] < limit and row["min_cosine"] > 0.99, (name, runtime, row)
        assert rows["bf16"]["max_rel_diff"] > 0  # autocast really ran in bfloat16
        for package in ("onnxruntime", "openvino"):  # a missing package is skipped with that reason, not a crash
            if importlib.util.find_spec(package) is None:
                assert "not installed" in skipped[package], skipped
            else:
                assert package in rows, skipped
    vit = result["models"]["vit-b16-in1k"]["runtimes"]
    assert all(row["top1_agreement"] == 1.0 for runtime, row in vit.items() if runtime != "bf16")
