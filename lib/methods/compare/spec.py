"""The vocabulary of the Compare tab: a comparison's menu entry, one side's setting, and one side's run.

A comparison pits two settings (A and B) against each other on the same clip. Each setting is a
`variant` (a model or a method, picked from a short list) and an optional whole `number` (a key-frame
interval, a layer). Each comparison module (compare_mask, compare_tubes, compare_attention) defines
one ComparisonSpec whose `run` turns both settings into two Sides and whose `render` draws frame t of
both sides with one colour scale. Nothing here imports a model.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib.errors import UserInputError

Progress = Callable[[float, str], None]
Number = float | int | str | None


@dataclass(frozen=True)
class Setting:
    """One side's choice: variant (a key of the comparison's variants) and number (None when unused)."""

    variant: str
    number: int | None = None


@dataclass(frozen=True)
class Side:
    """One side of a comparison after its run.

    label:      what the side is, in words (e.g. "MPVSS per-query flow, k=5").
    setting:    the Setting it ran with.
    numbers:    ((quantity, value), ...) measured on the clip, in table order; value None = not available.
    num_frames: frames the per-frame view can show (the same for A and B of one comparison).
    result:     the task result the views are rendered from (MaskPropagationResult, TubesResult, ...).
    extra:      small per-comparison values the renderer needs (e.g. a colour-scale maximum, a view index).
    """

    label: str
    setting: Setting
    numbers: tuple[tuple[str, Number], ...]
    num_frames: int
    result: Any
    extra: tuple[tuple[str, Any], ...] = ()

    def value(self, quantity: str) -> Number:
        """The measured value called `quantity` (KeyError when the side has no such number)."""
        return dict(self.numbers)[quantity]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class ComparisonSpec:
    """One entry of the Compare menu.

    key, title, description: identifier, menu text and a sentence on what the comparison shows.
    variant_label, variants:  the side's variant control: ((value, label), ...).
    number_label:             the side's number control (None: the comparison has no number).
    number_range:             (lowest, highest) allowed number.
    default_a, default_b:     settings that differ, so a first run already shows a contrast.
    run(path, a, b, progress) -> (Side, Side);  render(a, b, t) -> (image A, image B), (H, W, 3) uint8.
    caption(a, b, t) -> str: one line under the images about frame t.
    """

    key: str
    title: str
    description: str
    variant_label: str
    variants: tuple[tuple[str, str], ...]
    number_label: str | None
    number_range: tuple[int, int]
    default_a: Setting
    default_b: Setting
    run: Callable[[str, Setting, Setting, Progress], tuple[Side, Side]]
    render: Callable[[Side, Side, int], tuple[np.ndarray, np.ndarray]]
    caption: Callable[[Side, Side, int], str]

    def variant_name(self, variant: str) -> str:
        return dict(self.variants).get(variant, variant)

    def check(self, setting: Setting, side: str) -> Setting:
        """The setting with a whole number, or UserInputError saying which side is wrong and why."""
        if setting.variant not in dict(self.variants):
            choices = ", ".join(label for _, label in self.variants)
            raise UserInputError(f"Setting {side}: choose one of {choices} for '{self.variant_label}'.")
        if self.number_label is None:
            return Setting(setting.variant, None)
        low, high = self.number_range
        try:
            number = float(setting.number)
        except (TypeError, ValueError) as err:
            raise UserInputError(f"Setting {side}: '{self.number_label}' needs a whole number from {low} to "
                                 f"{high}.") from err
        if not number.is_integer() or not low <= number <= high:
            raise UserInputError(f"Setting {side}: '{self.number_label}' must be a whole number from {low} to "
                                 f"{high}; got {number:g}.")
        return Setting(setting.variant, int(number))


def split_progress(progress: Progress | None, start: float, end: float) -> Progress:
    """A progress callback mapping [0, 1] onto [start, end] of `progress` (a no-op when None)."""
    if progress is None:
        return lambda fraction, message: None
    return lambda fraction, message: progress(start + (end - start) * float(fraction), message)
