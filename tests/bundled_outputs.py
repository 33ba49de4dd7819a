"""Fixed inputs for every bundled model and a flat record of its outputs (the layout regression test).

`record_outputs()` loads each bundled model through the registry, feeds it seeded random inputs of
the shape it expects and returns {"<model>/<output>": array}. The arrays saved in
tests/data/bundled_outputs.safetensors were made by the code before the one-package-per-method move;
tests/test_bundled_regression.py checks that today's code reproduces them bit for bit.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

from lib.models import get_spec, list_models, load_model

# model name -> function(generator) -> (args, kwargs); shapes follow each model's forward docstring.
Inputs = Callable[[torch.Generator], tuple[tuple, dict]]


def _randn(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=g)


def _rand(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=g)


INPUTS: dict[str, list[Inputs]] = {
    "frame-vit-toy": [lambda g: ((_randn(g, 2, 3, 96, 96),), {}),
                      lambda g: ((_randn(g, 2, 3, 96, 96),), {"r": 8})],
    "stpt-tiny-toy": [lambda g: ((_randn(g, 1, 64, 3, 64, 64),), {})],
    "stpt-global-tiny-toy": [lambda g: ((_randn(g, 1, 64, 3, 64, 64),), {})],
    "toy-frame-encoder": [lambda g: ((_rand(g, 4, 6, 64, 64),), {})],
    "vis4mer-tiny-toy": [lambda g: ((_randn(g, 2, 256, 32),), {})],
    "vis4mer-attention-tiny-toy": [lambda g: ((_randn(g, 2, 256, 32),), {})],
    "tubevit-tiny-toy": [lambda g: ((_randn(g, 2, 3, 32, 48, 48),), {}),
                         lambda g: ((_randn(g, 2, 3, 48, 48),), {})],
    "vivit-dense-tiny-toy": [lambda g: ((_randn(g, 2, 3, 32, 48, 48),), {})],
    "query-segmentor-tiny-toy": [lambda g: ((_rand(g, 2, 3, 64, 80),), {})],
    "mpvss-flow-tiny-toy": [lambda g: ((_rand(g, 1, 3, 64, 80), _rand(g, 1, 3, 64, 80)), {}),
                            lambda g: ((_rand(g, 1, 3, 64, 80), _rand(g, 1, 3, 64, 80), _randn(g, 1, 10, 64)), {})],
}


def _flatten(prefix: str, value: object, out: dict[str, np.ndarray]) -> None:
    """Tensors (also inside dicts, tuples and dataclasses) -> out[prefix/...]; other values are skipped."""
    if isinstance(value, torch.Tensor):
        out[prefix] = value.detach().float().contiguous().numpy().copy()
    elif isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}/{key}", item, out)
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            _flatten(f"{prefix}/{index}", item, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _flatten(f"{prefix}/{field.name}", getattr(value, field.name), out)


def bundled_names() -> list[str]:
    return [spec.name for spec in list_models() if get_spec(spec.name).source == "bundled"]


@torch.no_grad()
def record_outputs(names: list[str] | None = None) -> dict[str, np.ndarray]:
    """{"<model>/<call>/<output path>": float32 array} for the given bundled models (all by default)."""
    out: dict[str, np.ndarray] = {}
    for name in names or bundled_names():
        model = load_model(name, device="cpu")
        model.eval()
        for call, make in enumerate(INPUTS[name]):
            g = torch.Generator().manual_seed(1000 + call)
            args, kwargs = make(g)
            _flatten(f"{name}/{call}", model(*args, **kwargs), out)
    return out


# The vector units that decide which kernels torch picks, and so how a float32 sum rounds.
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


def cpu_name() -> str:
    """The CPU the outputs were computed on, as "model name | family/model/stepping | vector units": bit-identity
    is promised on one CPU. The model name alone is not enough: virtual machines report e.g. "AMD EPYC" for
    chips of different generations, whose kernels round differently (seen: 1e-6 differences on Zen 3)."""
    fields: dict[str, str] = {}
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
            if not line.strip():
                break  # the first processor is enough
    except OSError:
        import platform
        return platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    units = ",".join(flag for flag in ISA_FLAGS if flag in flags)
    return (f"{fields.get('model name', '?')} | {fields.get('cpu family', '?')}/{fields.get('model', '?')}/"
            f"{fields.get('stepping', '?')} | {units}")
