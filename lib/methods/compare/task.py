"""Compare: two models or two settings on the same clip, side by side, one frame index (see the face for the map).

The comparisons (COMPARISONS) reuse the tabs' own run_*/render_* functions through their faces; see
compare/mask_propagation.py, tubes.py, attention.py, token_merging.py and encoders.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lib.errors import UserInputError
from lib.methods.compare import attention as compare_attention
from lib.methods.compare import encoders as compare_encoders
from lib.methods.compare import mask_propagation as compare_mask
from lib.methods.compare import propagation_engines as compare_engines
from lib.methods.compare import token_merging as compare_merging
from lib.methods.compare import tubes as compare_tubes
from lib.methods.compare import video_attention as compare_video_attention
from lib.methods.compare.spec import ComparisonSpec, Number, Progress, Setting, Side
from lib.video import Clip

COMPARISONS: dict[str, ComparisonSpec] = {spec.key: spec for spec in
                                          (compare_mask.SPEC, compare_tubes.SPEC, compare_attention.SPEC,
                                           compare_merging.SPEC, compare_encoders.SPEC,
                                           compare_video_attention.SPEC, compare_engines.SPEC)}
DISPLAY_HEIGHT = 320  # both views are shown at least this high (nearest neighbour keeps token cells crisp)
NO_VIDEO = "Choose an example clip above or upload a video first."


@dataclass(frozen=True)
class CompareResult:
    """Both sides of one comparison on one clip; a.num_frames == b.num_frames (the shared frame index)."""

    comparison: str
    source: str
    a: Side
    b: Side

    @property
    def spec(self) -> ComparisonSpec:
        return COMPARISONS[self.comparison]

    @property
    def num_frames(self) -> int:
        return self.a.num_frames


def get_comparison(key: str) -> ComparisonSpec:
    if key not in COMPARISONS:
        raise UserInputError(f"Unknown comparison {key!r}; choose one of: {', '.join(COMPARISONS)}.")
    return COMPARISONS[key]


def run_compare(video: str | Path | Clip, comparison: str, a: Setting, b: Setting,
                progress: Progress | None = None) -> CompareResult:
    """Run setting A and setting B of `comparison` on `video` (a file, or a Clip decoded from one).

    Raises UserInputError (a sentence) for a missing video, an unknown comparison, a setting outside the
    menu or one that does not fit the clip (e.g. a key-frame interval longer than the clip).
    """
    if not video:
        raise UserInputError(NO_VIDEO)
    spec = get_comparison(comparison)
    a, b = spec.check(a, "A"), spec.check(b, "B")
    path = video.source if isinstance(video, Clip) else str(video)
    if not path:
        raise UserInputError("The comparisons decode the clip their own way: pass a file or a Clip read from one.")
    side_a, side_b = spec.run(str(path), a, b, progress)
    if side_a.num_frames != side_b.num_frames:  # the shared slider needs one frame count
        raise RuntimeError(f"{comparison}: A shows {side_a.num_frames} frames but B {side_b.num_frames}")
    if progress is not None:
        progress(1.0, "done")
    return CompareResult(comparison, Path(str(path)).name, side_a, side_b)


def render_compare(result: CompareResult, t: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(image A, image B, caption) of frame t, each image (H, W, 3) uint8 at least DISPLAY_HEIGHT high;
    one colour scale for both."""
    t = int(t)
    if not 0 <= t < result.num_frames:
        raise UserInputError(f"Pick a frame between 0 and {result.num_frames - 1}.")
    image_a, image_b = (_enlarge(image) for image in result.spec.render(result.a, result.b, t))
    return image_a, image_b, result.spec.caption(result.a, result.b, t)


def _enlarge(image: np.ndarray, height: int = DISPLAY_HEIGHT) -> np.ndarray:
    h, w = image.shape[:2]
    if h >= height:
        return image
    return cv2.resize(image, (round(w * height / h), height), interpolation=cv2.INTER_NEAREST)


def _cell(value: Number) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def compare_rows(result: CompareResult) -> list[list[str]]:
    """Table rows [quantity, A, B] in the comparison's order ("—" where a number does not apply)."""
    b_values = dict(result.b.numbers)
    return [[name, _cell(value), _cell(b_values.get(name))] for name, value in result.a.numbers]


def compare_numbers(result: CompareResult) -> dict:
    """JSON-able record: the comparison, the clip, and per side its setting, label and numbers."""
    def side(s: Side) -> dict:
        return {"label": s.label, "variant": s.setting.variant, "number": s.setting.number,
                "frames": s.num_frames, "numbers": dict(s.numbers)}

    spec = result.spec
    return {"comparison": spec.key, "title": spec.title, "clip": result.source,
            "number_meaning": spec.number_label, "A": side(result.a), "B": side(result.b)}


def write_numbers_json(result: CompareResult, folder: str | Path) -> Path:
    """Write compare_numbers(result) to folder/compare_<key>.json; returns the path."""
    path = Path(folder) / f"compare_{result.comparison}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(compare_numbers(result), indent=2))
    return path


def summary(result: CompareResult) -> str:
    """Markdown: what A and B were and their first three numbers (those not already in the label)."""
    lines = [f"**{result.spec.title}** on `{result.source}`"]
    for name, side in (("A", result.a), ("B", result.b)):
        fresh = [(q, v) for q, v in side.numbers if _cell(v) not in side.label]
        shown = "; ".join(f"{q}: {_cell(v)}" for q, v in fresh[:3])
        lines.append(f"**{name}: {side.label}**: {shown}")
    return "\n\n".join(lines)
