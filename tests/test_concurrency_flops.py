"""FLOP counting in one thread while other threads run models (Gradio's worker threads share cached models)."""
from __future__ import annotations

import threading

import torch
from torch import nn

from lib.hooks import count_model_flops


class _Sub(nn.Module):
    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x @ w


class Counted(nn.Module):
    """Passes a parameter into a submodule: torch's ModuleTracker registers gradient hooks on such inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(32, 32))
        self.sub = _Sub()
        self.lin = nn.Linear(32, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(self.sub(x, self.w))


class Other(Counted):
    """Same layers under another class name, so its module paths would show if they leaked into a count."""


def _run_together(counting, other, rounds: int) -> list[BaseException]:
    """Run `counting()` until `other()` has run `rounds` times in a second thread; the errors of both."""
    errors: list[BaseException] = []
    done = threading.Event()

    def count_loop() -> None:
        while not done.is_set():
            try:
                counting()
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
                return

    thread = threading.Thread(target=count_loop)
    thread.start()
    try:
        for _ in range(rounds):
            other()
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
    finally:
        done.set()
        thread.join()
    return errors


def test_counting_leaves_inference_mode_forwards_of_other_threads_alone():
    counted, other, x = Counted(), Other(), torch.randn(4, 32)
    solo = count_model_flops(counted, x)
    reports = []

    def forward_in_inference_mode() -> None:
        with torch.inference_mode():
            other(x)

    errors = _run_together(lambda: reports.append(count_model_flops(counted, x)), forward_in_inference_mode, 3000)
    assert errors == []
    assert reports, "the counting thread never ran"
    assert all(r.total == solo.total for r in reports)
    assert all(not any(name.startswith("Other") for name in r.per_module) for r in reports)
    assert all(r.per_module == solo.per_module for r in reports)


def test_counting_leaves_training_of_other_threads_alone():
    counted, other, x = Counted(), Other(), torch.randn(4, 32)
    other(x).sum().backward()
    expected = other.w.grad.clone()

    def train_step() -> None:
        other.zero_grad()
        other(x).sum().backward()
        assert torch.allclose(other.w.grad, expected)

    assert _run_together(lambda: count_model_flops(counted, x), train_step, 1500) == []


def test_counting_under_inference_mode_in_its_own_thread():
    counted, x = Counted(), torch.randn(4, 32)
    solo = count_model_flops(counted, x)
    with torch.inference_mode():
        assert count_model_flops(counted, x).total == solo.total
