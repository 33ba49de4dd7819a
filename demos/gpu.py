"""ZeroGPU: the functions that run models hold a GPU while they run on a ZeroGPU Space; elsewhere they are unchanged.

    @gpu(duration_s=60)                              # on ZeroGPU: spaces.GPU(duration=60); elsewhere: the function
    def compute(path: str, k: int, progress: gr.Progress):
        return run_<tab>(path, k=k, progress=ProgressRelay(progress))   # plain values in, a picklable result out

On ZeroGPU, spaces.GPU runs the function in a forked worker process that holds the GPU, and sends its arguments
and its result across by pickle (spaces/zero/wrappers.py). So only the model run is decorated, never a Gradio
handler: a handler's `view` of components, its {component: value} dict and the session store (demos.common.keep)
must stay in the server process. Lambdas do not pickle: progress goes through ProgressRelay (gr.Progress does
pickle, and spaces forwards its updates from the worker). Stop: off ZeroGPU nothing changes (demos.stop stops the
work); on ZeroGPU Stop drops the event at once but the worker finishes its call (the server thread waits in a
pipe read, where no exception can be delivered). Off ZeroGPU spaces.GPU returns the function itself
(spaces 0.51: `if not Config.zero_gpu: return task`); `spaces` is imported only on ZeroGPU, where it is installed.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

F = TypeVar("F", bound=Callable)
_log = logging.getLogger(__name__)
# Every decorated function: "module.name" -> its duration (s); a test checks each main action's model run is here.
DURATIONS: dict[str, int] = {}


def on_zero_gpu() -> bool:
    """True on a ZeroGPU Space: the environment variable spaces itself reads (spaces.config.Settings.zero_gpu)."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")


def gpu(duration_s: int) -> Callable[[F], F]:
    """Decorator: spaces.GPU(duration=duration_s) on ZeroGPU, else the function itself (same object).

    `duration_s`: the longest the call should take on the Space's GPU (ZeroGPU queues long requests behind
    short ones, and ends a call past its duration), so the slowest hub model at the tab's largest setting."""
    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")

    def decorate(fn: F) -> F:
        DURATIONS[f"{fn.__module__}.{fn.__qualname__}"] = int(duration_s)
        if not on_zero_gpu():
            return fn
        try:
            import spaces
        except ImportError:  # a ZeroGPU Space always has it; a local SPACES_ZERO_GPU=1 without it runs as is
            _log.warning("SPACES_ZERO_GPU is set but `spaces` does not import: %s runs without ZeroGPU", fn.__name__)
            return fn
        return spaces.GPU(duration=int(duration_s))(fn)
    return decorate


@dataclass(frozen=True)
class ProgressRelay:
    """The lib's progress callback `(fraction, message)` onto a gr.Progress; unlike a lambda it pickles."""

    progress: Callable

    def __call__(self, fraction: float, message: str) -> None:
        self.progress(fraction, desc=message)
