"""The one place that decides which torch device models run on."""
from __future__ import annotations

import os

import torch

DEVICE_ENV = "VIDEO_EXPLORER_DEVICE"
_KNOWN = ("cpu", "cuda", "mps")


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """Device to run models on.

    Order: `preferred` if given, else the `VIDEO_EXPLORER_DEVICE` environment variable
    (cpu / cuda / mps, optionally with an index such as cuda:1), else cuda when available, else cpu.
    Asking for a device this machine does not have raises ValueError instead of failing later.
    """
    choice = preferred if preferred is not None else (os.environ.get(DEVICE_ENV) or None)
    if choice is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice.strip().lower() if isinstance(choice, str) else choice)
    except RuntimeError:
        device = None
    if device is None or device.type not in _KNOWN:
        raise ValueError(f"Unknown device {choice!r}; use one of {', '.join(_KNOWN)}.")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Device {choice!r} was requested but CUDA is not available here; use cpu.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"Device {choice!r} was requested but MPS is not available here; use cpu.")
    return device
