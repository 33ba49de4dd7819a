"""The runtimes benchmarks/encoder_runtimes.py compares, each made ready to call on one model and input.

eager / bf16 (autocast) / inductor (torch.compile, three modes) / onnxruntime / openvino (f32, bf16 hint);
`prepare` raises Skip with the reason when a package is absent or a step fails. Also the dense matmul peaks.
"""
from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from benchmarks.encoder_models import Head, fresh_head

RUNTIMES = ("eager", "bf16", "inductor", "inductor-bf16", "inductor-max", "onnxruntime", "openvino",
            "openvino-bf16")
BF16_RUNTIMES = ("bf16", "inductor-bf16", "openvino-bf16")


class Skip(Exception):
    """A runtime that cannot run here (package absent, CPU lacks a feature, export failed): the reason."""


def _best_gflops(call: Callable[[], object], n: int, repeats: int) -> float:
    call()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def matmul_peak_gflops(dtype: torch.dtype, n: int = 4096, repeats: int = 4) -> float:
    """Best GFLOP/s of an (n x n) @ (n x n) torch.matmul in `dtype` (2 n^3 FLOPs) on the current threads."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return _best_gflops(lambda: torch.matmul(a, b), n, repeats)


def onnxruntime_matmul_gflops(threads: int, n: int = 4096, repeats: int = 4) -> float | None:
    """Best GFLOP/s of the same fp32 matmul as a one-node ONNX Runtime graph; None when it is not installed."""
    if not (_installed("onnxruntime") and _installed("onnx")):
        return None
    import onnxruntime as ort
    from onnx import TensorProto, helper

    tensor = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [n, n])  # noqa: E731
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "matmul",
                              [tensor("A"), tensor("B")], [tensor("C")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"A": torch.randn(n, n).numpy(), "B": torch.randn(n, n).numpy()}
    return _best_gflops(lambda: session.run(None, feed), n, repeats)


def measure_peaks(threads: int, n: int) -> dict:
    """{"fp32": torch, "bf16": torch, "fp32_onnxruntime": MLAS or None} GFLOP/s of an n^2 matmul."""
    return {"fp32": matmul_peak_gflops(torch.float32, n), "bf16": matmul_peak_gflops(torch.bfloat16, n),
            "fp32_onnxruntime": onnxruntime_matmul_gflops(threads, n)}


def print_peaks(label: str, peaks: dict, n: int, threads: int) -> None:
    ort_text = f", ONNX Runtime fp32 {peaks['fp32_onnxruntime']:.1f}" if peaks["fp32_onnxruntime"] else ""
    print(f"dense matmul peak {label} ({n}^2, {threads} threads, GFLOP/s): torch fp32 {peaks['fp32']:.1f}, "
          f"torch bf16 {peaks['bf16']:.1f}{ort_text}", flush=True)


def peak_for(runtime: str, peaks: dict) -> float:
    """The peak a runtime is compared with: bf16 for bf16 runtimes, else the best fp32 figure."""
    if runtime in BF16_RUNTIMES:
        return peaks["bf16"]
    return max(peaks["fp32"], peaks["fp32_onnxruntime"] or 0.0)


@dataclass
class Prepared:
    """A runtime ready to call: `run()` returns the output as a float32 CPU tensor; setup seconds and notes."""

    run: Callable[[], torch.Tensor]
    setup_s: float
    notes: list[str] = field(default_factory=list)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _torch_runner(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                  bf16: bool) -> Callable[[], torch.Tensor]:
    def run() -> torch.Tensor:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return fn(x).float()
    return run


def prepare(runtime: str, head: Head, x: torch.Tensor, workdir: Path, threads: int,
            onnx_cache: dict) -> Prepared:
    """Build `runtime` for `head` on input `x` (first call included in setup_s); raises Skip when it cannot."""
    start = time.perf_counter()
    if runtime in ("eager", "bf16"):
        run = _torch_runner(head, x, bf16=runtime == "bf16")
        run()
        return Prepared(run, time.perf_counter() - start)
    if runtime.startswith("inductor"):
        mode = "max-autotune-no-cudagraphs" if runtime == "inductor-max" else None
        compiled = torch.compile(fresh_head(head, runtime), mode=mode)
        run = _torch_runner(compiled, x, bf16=runtime == "inductor-bf16")
        try:
            run()
        except Exception as error:  # noqa: BLE001  inductor failures are many kinds; report and go on
            raise Skip(f"torch.compile failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}") from None
        return Prepared(run, time.perf_counter() - start, [f"mode={mode or 'default'}"])
    if runtime == "onnxruntime":
        if not _installed("onnxruntime"):
            raise Skip("not installed (onnxruntime)")
        import onnxruntime as ort

        path, export_s, notes = export_onnx(head, x, workdir, onnx_cache)
        build = time.perf_counter()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        name, feed = session.get_inputs()[0].name, x.numpy()
        run = lambda: torch.from_numpy(session.run(None, {name: feed})[0]).float()  # noqa: E731
        run()
        return Prepared(run, export_s + time.perf_counter() - build, notes + [f"export {export_s:.1f} s"])
    if runtime.startswith("openvino"):
        if not _installed("openvino"):
            raise Skip("not installed (openvino)")
        import openvino as ov

        core = ov.Core()
        hint = "bf16" if runtime == "openvino-bf16" else "f32"
        if hint == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            raise Skip("this CPU has no BF16 for OpenVINO")
        notes = []
        export_s = 0.0
        try:
            path, export_s, notes = export_onnx(head, x, workdir, onnx_cache)
            build = time.perf_counter()
            model = core.read_model(str(path))
            notes.append("from ONNX")
        except Skip:  # no ONNX file: convert straight from torch
            build = time.perf_counter()
            with torch.no_grad():
                model = ov.convert_model(head, example_input=x)
            notes = ["ov.convert_model from torch"]
        config = {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1,
                  "PERFORMANCE_HINT": "LATENCY"}
        compiled = core.compile_model(model, "CPU", config)
        request, feed = compiled.create_infer_request(), x.numpy()

        def run() -> torch.Tensor:
            request.infer({0: feed})
            return torch.from_numpy(request.get_output_tensor(0).data.copy()).float()

        run()
        return Prepared(run, export_s + time.perf_counter() - build, notes + [f"hint={hint}"])
    raise ValueError(runtime)


def export_onnx(head: Head, x: torch.Tensor, workdir: Path, cache: dict) -> tuple[Path, float, list[str]]:
    """torch.onnx.export of `head` on `x` (once per model: cached in `cache`); (path, export seconds, notes)."""
    if "error" in cache:
        raise Skip(cache["error"])
    if "path" in cache:
        return cache["path"], 0.0, list(cache["notes"])  # export time is counted once, on the first runtime
    if not (_installed("onnx") and _installed("onnxscript")):
        cache["error"] = "not installed (onnx, onnxscript: needed to export)"
        raise Skip(cache["error"])
    path = workdir / "model.onnx"
    start = time.perf_counter()
    errors = []
    for dynamo in (True, False):  # the dynamo exporter first (the default), the TorchScript one if it fails
        try:
            with torch.no_grad():
                torch.onnx.export(head, (x,), str(path), dynamo=dynamo, input_names=["pixel_values"],
                                  output_names=["out"], opset_version=18 if dynamo else 17)
            cache.update(path=path, notes=[f"exporter={'dynamo' if dynamo else 'torchscript'}"])
            cache["export_s"] = time.perf_counter() - start
            return path, cache["export_s"], list(cache["notes"])
        except Exception as error:  # noqa: BLE001  exporter failures come in many kinds
            errors.append(f"{'dynamo' if dynamo else 'torchscript'}: {type(error).__name__}: "
                          f"{str(error).strip().splitlines()[0][:160] if str(error).strip() else ''}")
    cache["error"] = "ONNX export failed (" + "; ".join(errors) + ")"
    raise Skip(cache["error"])
