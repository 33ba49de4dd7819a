"""Base class for the project's own models, saved as config.json + model.safetensors.

A subclass takes only JSON-able keyword arguments (numbers, strings, lists, dicts, or one
dataclass passed as `config`); PyTorchModelHubMixin records them at construction and writes them
to config.json, so `from_pretrained(folder)` rebuilds the same architecture and loads the weights.

    class ToyNet(BundledModel):
        def __init__(self, dim: int = 64, num_classes: int = 10):
            super().__init__()
            ...

    save_bundled(ToyNet(dim=32), "assets/models/toynet")
    model = ToyNet.from_pretrained("assets/models/toynet", strict=True)
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from huggingface_hub import PyTorchModelHubMixin
from torch import nn


class BundledModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="video-explorer",
    tags=["video", "efficient-video-models"],
):
    """nn.Module that saves and loads itself through PyTorchModelHubMixin (config JSON + safetensors)."""

    @property
    def bundled_config(self) -> dict[str, Any]:
        """The constructor arguments that will be written to config.json (a copy)."""
        config = getattr(self, "_hub_mixin_config", None) or {}
        return dict(config) if isinstance(config, dict) else dict(vars(config))


def _missing_arguments(model: nn.Module) -> list[str]:
    """Required __init__ parameters that the mixin could not record (not JSON-able), so could not reload."""
    config = getattr(model, "_hub_mixin_config", None)
    if config is not None and not isinstance(config, dict):  # a dataclass passed as `config`
        return []
    recorded = set(config or {})
    missing = []
    for param in list(inspect.signature(type(model).__init__).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is inspect.Parameter.empty and param.name not in recorded:
            missing.append(param.name)
    return missing


def save_bundled(model: nn.Module, folder: str | Path, **model_card_kwargs: Any) -> Path:
    """Write `model` to `folder` as config.json + model.safetensors (+ a README model card).

    Raises TypeError when a required constructor argument was not JSON-able, because such a
    model could be saved but never loaded back. Returns the folder.
    """
    if not isinstance(model, PyTorchModelHubMixin):
        raise TypeError(f"{type(model).__name__} must derive from BundledModel to be saved")
    missing = _missing_arguments(model)
    if missing:
        raise TypeError(
            f"{type(model).__name__} cannot be saved: constructor arguments {missing} are not JSON-able; "
            "pass numbers, strings, lists, dicts or a dataclass `config`."
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, model_card_kwargs=model_card_kwargs or None)
    return folder
