"""Every bundled model reproduces the outputs saved from the code before the one-package-per-method move
(the Tubes models: from their retrained weights, issue 14).

On the CPU model that recorded them the outputs must be bit-identical; on another CPU, vectorised kernels
may round differently, so there they must agree to float32 rounding (1e-5).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from tests.bundled_outputs import bundled_names, cpu_name

SAVED = "tests/data/bundled_outputs.safetensors"


def _saved() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(SAVED, framework="numpy") as f:
        return {key: f.get_tensor(key) for key in f.keys()}, f.metadata()


# In a fresh interpreter: a FLOP count still running in another thread of the test process (its global module
# hooks) must not touch these forwards, and nothing else loaded in the session can change them.
_RECORD = """
import sys
from safetensors.numpy import save_file
from tests.bundled_outputs import record_outputs
save_file(record_outputs(), sys.argv[1])
"""


@pytest.fixture(scope="module")
def outputs_now(tmp_path_factory) -> dict[str, np.ndarray]:
    path = tmp_path_factory.mktemp("bundled") / "now.safetensors"
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", _RECORD, str(path)], cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return load_file(str(path))


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_model_reproduces_saved_outputs(name: str, outputs_now: dict[str, np.ndarray]) -> None:
    saved, metadata = _saved()
    expected = {key: value for key, value in saved.items() if key.startswith(f"{name}/")}
    assert expected, f"no saved outputs for {name}"
    now = {key: value for key, value in outputs_now.items() if key.startswith(f"{name}/")}
    assert sorted(now) == sorted(expected)
    # models re-recorded since (retrained weights) say on which CPU: metadata "cpu/<model>"
    same_cpu = metadata.get(f"cpu/{name}", metadata.get("cpu")) == cpu_name()
    for key, value in expected.items():
        if same_cpu:
            np.testing.assert_array_equal(now[key], value, err_msg=key)
        else:
            np.testing.assert_allclose(now[key], value, rtol=1e-5, atol=1e-5, err_msg=key)
