"""The fixed list of models the app offers, and the one loader for all of them.

Only names in `SPECS` (lib/models/catalog.py) can be loaded: the app never loads arbitrary hub ids or
remote code. To add a model, append a `ModelSpec(...)` to `BUNDLED_SPECS` in catalog.py or `HUB_SPECS` in
catalog_hub.py.
"""
from __future__ import annotations

import functools
import importlib
from pathlib import Path

import torch

from lib.models.catalog import SPECS
from lib.models.device import get_device
from lib.models.errors import ModelUnavailableError
from lib.models.hub import load_pretrained
from lib.models.spec import ModelSpec
from lib.models.warmup import warm_up

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "assets" / "models"

# Tasks whose hub models always load with eager attention, so their attention can be recorded.
VIDEO_TASKS = frozenset({"video-classification", "action-detection", "long-video-classification"})


def _specs_by_name() -> dict[str, ModelSpec]:
    by_name: dict[str, ModelSpec] = {}
    for spec in SPECS:
        if spec.name in by_name:
            raise ValueError(f"duplicate model name in SPECS: {spec.name}")
        by_name[spec.name] = spec
    return by_name


def list_models(*, task: str | None = None, family: str | None = None) -> list[ModelSpec]:
    """Specs in SPECS order, optionally only those of one task and/or family."""
    return [
        s for s in SPECS if (task is None or s.task == task) and (family is None or s.family == family)
    ]


def get_spec(name: str) -> ModelSpec:
    """The spec called `name`; ModelUnavailableError (listing the known names) for anything else."""
    by_name = _specs_by_name()
    if name not in by_name:
        known = ", ".join(by_name) or "none"
        raise ModelUnavailableError(f"Unknown model {name!r}; choose one of: {known}.")
    return by_name[name]


def import_class(path: str) -> type:
    """"package.module:ClassName" -> the class (imports the module only now)."""
    module_name, _, class_name = path.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"model_class must look like 'module.path:ClassName', got {path!r}")
    return getattr(importlib.import_module(module_name), class_name)


def load_from(
    spec: ModelSpec, location: str | Path | None = None, *, device: str | torch.device | None = None
) -> torch.nn.Module:
    """Build `spec`'s model from `location` (default: the spec's own folder or hub id), uncached.

    Returns the model in eval mode on `device` (see get_device), float32.
    Bundled: `ModelClass.from_pretrained(folder, strict=True)` (PyTorchModelHubMixin).
    Hub: transformers `from_pretrained`, cache first, eager attention for attention/video models,
    never remote code. Raises ModelUnavailableError when the weights cannot be had.
    """
    target = get_device(device)
    model_class = import_class(spec.model_class)
    if spec.source == "bundled":
        folder = Path(location) if location is not None else REPO_ROOT / spec.location
        if not (folder / "model.safetensors").is_file():
            raise ModelUnavailableError(
                f"{spec.name} has no weights in {folder}; run its training script or pick another model."
            )
        model = model_class.from_pretrained(folder, strict=True)
    elif spec.source == "hub":
        kwargs: dict = {"dtype": torch.float32}
        if spec.needs_attention or spec.task in VIDEO_TASKS:
            kwargs["attn_implementation"] = "eager"
        source = str(location) if location is not None else spec.location
        try:
            model, info = load_pretrained(
                model_class.from_pretrained, source, name=spec.name, output_loading_info=True, **kwargs
            )
        except RuntimeError as error:  # e.g. weights of another shape than the class expects
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelUnavailableError(
                f"{spec.name} could not be built from its checkpoint ({first_line}); pick another model."
            ) from error
        _refuse_partial_weights(spec, info)
    else:
        raise ValueError(f"unknown source {spec.source!r} for {spec.name}")
    return model.to(target).eval()


def _refuse_partial_weights(spec: ModelSpec, info: dict) -> None:
    """transformers re-initialises missing or differently shaped weights with only a log line;
    a model that silently computes with random weights is worse than an error."""
    problems = sorted(info.get("missing_keys") or []) + sorted(k[0] for k in info.get("mismatched_keys") or [])
    if problems:
        shown = ", ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
        raise ModelUnavailableError(
            f"{spec.name}: the checkpoint does not fit {spec.model_class} ({len(problems)} weights missing "
            f"or of another shape: {shown}); pick another model."
        )


@functools.lru_cache(maxsize=6)
def _load_cached(name: str, device: str) -> torch.nn.Module:
    spec = get_spec(name)
    model = load_from(spec, device=device)
    warm_up(spec, model)  # the first forward's one-off costs are paid here, not by the first visitor
    return model


def load_model(name: str, *, device: str | torch.device | None = None) -> torch.nn.Module:
    """The model called `name`, loaded once per (name, device) and shared: treat it as read-only."""
    get_spec(name)  # refuse unknown names before touching the cache
    return _load_cached(name, str(get_device(device)))


def clear_model_cache() -> None:
    """Forget every loaded model (tests, or to free memory)."""
    _load_cached.cache_clear()
