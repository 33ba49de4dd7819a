"""Context managers that record attention maps or hidden states during a forward pass.

    with record_attention(model, layers=[0, -1]) as rec:
        model(pixel_values)
    rec.maps[0]        # (B, heads, Nq, Nk) float16 on CPU, rows sum to ~1
    rec.layer_names    # module paths, e.g. "videomae.encoder.layer.0.attention.attention"

Recorders own their hooks and always remove them, also when the body raises. Attention modules
are found by type, not by path (paths change between transformers versions): every
`AttentionProbe` and every module whose class name ends with "Attention" (so also
"SelfAttention"), keeping only the innermost one where they nest. At run time a module counts
when its output is the probe's tensor, or a tuple whose item 1 is a 4-D weights tensor.
Modules that only return weights when asked (`output_attentions`, nn.MultiheadAttention's
`need_weights`/`average_attn_weights`) are asked, for the hooked layers only. Only forward passes
run by the thread that opened the recording are recorded (cached models are shared by sessions).
"""
from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from lib.hooks.probe import AttentionProbe

FUSED_MESSAGE = (
    "No attention weights were captured: the model uses fused attention; "
    "load it with attn_implementation='eager'."
)
# Arguments that make attention modules return their weights: transformers' older modules
# (TimeSformer, Swin, Mask2Former) take `output_attentions`; nn.MultiheadAttention averages heads
# unless told not to.
_FORCED_ARGUMENTS = {"output_attentions": True, "need_weights": True, "average_attn_weights": False}


class RecordingError(RuntimeError):
    """A recording captured nothing, or captured something unusable."""


def _is_attention(module: nn.Module) -> bool:
    return isinstance(module, AttentionProbe) or type(module).__name__.endswith("Attention")


def _innermost(named: list[tuple[str, nn.Module]]) -> list[tuple[str, nn.Module]]:
    """Drop entries that contain another entry (VideoMAEAttention wraps VideoMAESelfAttention)."""
    names = [n for n, _ in named]
    return [
        (n, m) for n, m in named if not any(o != n and (n == "" or o.startswith(n + ".")) for o in names)
    ]


def find_attention_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(path, module) of every attention module `record_attention` can hook, in model order.

    Layer indices of `record_attention(layers=...)` index this list.
    """
    return _innermost([(n, m) for n, m in model.named_modules() if _is_attention(m)])


def _select(targets: list[tuple[str, nn.Module]], layers: Sequence[int] | None) -> list[int]:
    if layers is None:
        return list(range(len(targets)))
    chosen = []
    for layer in layers:
        if not -len(targets) <= layer < len(targets):
            raise IndexError(f"layer {layer} out of range: the model has {len(targets)} recordable layers")
        chosen.append(layer % len(targets))
    return sorted(set(chosen))


def _first_tensor(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, dict):  # transformers' ModelOutput is an ordered dict
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return next((value for value in output if isinstance(value, torch.Tensor)), None)
    return None


def _attention_weights(module: nn.Module, output: Any) -> torch.Tensor | None:
    if isinstance(module, AttentionProbe):
        return output
    if isinstance(output, (tuple, list)) and len(output) > 1:
        weights = output[1]
        if isinstance(weights, torch.Tensor) and weights.dim() == 4:
            return weights
    return None


class _Recording:
    """Shared machinery: register hooks on __enter__, remove them on __exit__, gather captures."""

    def __init__(self, targets: list[tuple[str, nn.Module]], indices: list[int], dtype: torch.dtype | None):
        self._targets = targets
        self._indices = indices
        self._dtype = dtype
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._captured: dict[int, list[torch.Tensor]] = {}
        self._calls = 0
        self._thread: int | None = None  # only the thread that opened the recording is recorded
        self.layer_indices: list[int] = []
        self.layer_names: list[str] = []
        self.maps: list[torch.Tensor] = []

    def _extract(self, module: nn.Module, output: Any) -> torch.Tensor | None:
        raise NotImplementedError

    def _prepare(self, module: nn.Module) -> None:
        """Hook for subclasses to add pre-hooks."""

    def _store(self, index: int, tensor: torch.Tensor) -> None:
        kept = tensor.detach().to(device="cpu", dtype=self._dtype or tensor.dtype, copy=True)
        self._captured.setdefault(index, []).append(kept)

    def _mine(self) -> bool:
        """Cached models are shared between app sessions: ignore forward passes of other threads."""
        return threading.get_ident() == self._thread

    def __enter__(self):
        self._thread = threading.get_ident()
        try:
            for index in self._indices:
                module = self._targets[index][1]
                self._prepare(module)
                self._handles.append(module.register_forward_hook(self._make_hook(index)))
        except BaseException:
            self._remove()
            raise
        return self

    def _make_hook(self, index: int):
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if not self._mine():
                return
            self._calls += 1
            tensor = self._extract(module, output)
            if tensor is not None:
                self._store(index, tensor)

        return hook

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._remove()
        if exc_type is not None:
            return False  # let the body's exception through untouched
        self._finish()
        return False

    def _finish(self) -> None:
        for index in sorted(self._captured):
            parts = self._captured[index]
            name = self._targets[index][0]
            try:
                self.maps.append(parts[0] if len(parts) == 1 else torch.cat(parts, dim=0))
            except RuntimeError as error:
                raise RecordingError(f"{name} ran {len(parts)} times with different shapes: {error}") from error
            self.layer_indices.append(index)
            self.layer_names.append(name)
        self._captured.clear()


class AttentionRecording(_Recording):
    """Attention maps recorded by `record_attention`; filled when the `with` block ends.

    maps:          one tensor per recorded layer, (B, heads, Nq, Nk), on CPU; a module that ran
                   several times (e.g. a batch in chunks) has its calls concatenated along dim 0.
                   TimeSformer's temporal attention has B*H*W rows of (heads, T, T).
    layer_names:   module path of each map.
    layer_indices: index of each map in `find_attention_modules(model)`.
    """

    def _prepare(self, module: nn.Module) -> None:
        params = inspect.signature(module.forward).parameters
        forced = {k: v for k, v in _FORCED_ARGUMENTS.items() if k in params}
        if not forced:
            return
        signature = inspect.signature(module.forward)

        def ask_for_weights(mod: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
            if not self._mine():
                return None
            bound = signature.bind(*args, **kwargs)
            bound.arguments.update(forced)
            return bound.args, bound.kwargs

        self._handles.append(module.register_forward_pre_hook(ask_for_weights, with_kwargs=True))

    def _extract(self, module: nn.Module, output: Any) -> torch.Tensor | None:
        return _attention_weights(module, output)

    def _finish(self) -> None:
        if not self._captured:
            if not self._targets:
                raise RecordingError("No attention modules were found in this model, so nothing was recorded.")
            if self._calls == 0:
                raise RecordingError(
                    "No attention weights were captured: the model did not run inside the recording."
                )
            raise RecordingError(FUSED_MESSAGE)
        super()._finish()


class HiddenRecording(_Recording):
    """Outputs of the hooked modules, recorded by `record_hidden`; filled when the `with` block ends.

    maps:          one tensor per recorded module (its output, or the first tensor of a tuple /
                   ModelOutput), on CPU; repeated calls concatenated along dim 0.
    layer_names:   module path of each map.
    layer_indices: index of each map among the model's modules of the requested types.
    """

    def _extract(self, module: nn.Module, output: Any) -> torch.Tensor | None:
        return _first_tensor(output)

    def _finish(self) -> None:
        if not self._captured:
            raise RecordingError("No hidden states were captured: none of the requested modules ran.")
        super()._finish()


def record_attention(
    model: nn.Module, *, layers: Sequence[int] | None = None, dtype: torch.dtype | None = torch.float16
) -> AttentionRecording:
    """Context manager recording attention probabilities of `model` (see module docstring).

    layers: indices into `find_attention_modules(model)` (negative counts from the end); None = all.
            Only these layers are hooked, so the others cost no memory.
    dtype:  dtype of the stored CPU copies (None keeps the model's).
    Raises RecordingError on exit when nothing was captured (fused/sdpa attention).
    """
    targets = find_attention_modules(model)
    return AttentionRecording(targets, _select(targets, layers), dtype)


def record_hidden(
    model: nn.Module,
    module_types: tuple[type[nn.Module], ...],
    *,
    layers: Sequence[int] | None = None,
    dtype: torch.dtype | None = None,
) -> HiddenRecording:
    """Context manager recording the outputs of every module of `module_types` inside `model`.

    layers: indices into the list of matching modules in `model.named_modules()` order; None = all.
    dtype:  dtype of the stored CPU copies (None keeps the model's).
    Raises RecordingError on exit when none of them ran.
    """
    targets = [(n, m) for n, m in model.named_modules() if isinstance(m, module_types)]
    if not targets:
        names = ", ".join(t.__name__ for t in module_types)
        raise RecordingError(f"The model has no modules of type {names}.")
    return HiddenRecording(targets, _select(targets, layers), dtype)
