"""Hooks into models: attention/hidden-state recorders, the attention probe, FLOP counting, token geometry."""
from lib.hooks.flops import MACS_NOTE, FlopReport, count_flops, count_model_flops, macs_of
from lib.hooks.probe import AttentionProbe
from lib.hooks.recorder import (
    AttentionRecording,
    HiddenRecording,
    RecordingError,
    find_attention_modules,
    record_attention,
    record_hidden,
)
from lib.hooks.token_grid import TokenGrid

__all__ = [
    "MACS_NOTE",
    "AttentionProbe",
    "AttentionRecording",
    "FlopReport",
    "HiddenRecording",
    "RecordingError",
    "TokenGrid",
    "count_flops",
    "count_model_flops",
    "find_attention_modules",
    "macs_of",
    "record_attention",
    "record_hidden",
]
