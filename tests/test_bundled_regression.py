"""Every bundled model reproduces the outputs saved from the code before the one-package-per-method move.

On the CPU model that recorded them the outputs must be bit-identical; on another CPU, vectorised kernels
may round differently, so there they must agree to float32 rounding (1e-5).
"""
from __future__ import annotations

import numpy as np
import pytest
from safetensors import safe_open

from tests.bundled_outputs import bundled_names, cpu_name, record_outputs

SAVED = "tests/data/bundled_outputs.safetensors"


def _saved() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(SAVED, framework="numpy") as f:
        return {key: f.get_tensor(key) for key in f.keys()}, f.metadata()


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_model_reproduces_saved_outputs(name: str) -> None:
    saved, metadata = _saved()
    expected = {key: value for key, value in saved.items() if key.startswith(f"{name}/")}
    assert expected, f"no saved outputs for {name}"
    now = record_outputs([name])
    assert sorted(now) == sorted(expected)
    same_cpu = metadata.get("cpu") == cpu_name()
    for key, value in expected.items():
        if same_cpu:
            np.testing.assert_array_equal(now[key], value, err_msg=key)
        else:
            np.testing.assert_allclose(now[key], value, rtol=1e-5, atol=1e-5, err_msg=key)
