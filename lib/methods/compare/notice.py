"""Compare on real video: most comparisons pit the project's toy-world models against each other; one line
says what still holds on a real clip (costs, token counts, mechanics) and what does not (predictions, masks)."""
from __future__ import annotations

from pathlib import Path

from lib.methods.compare.spec import Setting
from lib.models import list_models
from lib.models.advice import is_real_clip

# comparison key -> (its toy models with their verb, in words; what they cannot tell about a real clip)
TOY_SIDES: dict[str, tuple[str, str]] = {
    "mask-propagation": ("the toy segmentor and motion module were", "their masks and mIoU"),
    "tubes": ("TubeViT-tiny and its dense twin were", "their motion classes"),
    "attention": ("STPT-tiny and its global twin were", "their action detections"),
    "token-merging": ("the toy frame encoder was", "which patches its features call alike"),
    "merge-encoders": ("the toy frame encoder was", "which patches its features call alike"),
}
ENCODER_COMPARISONS = frozenset({"merge-encoders"})  # variants are registry names: only bundled ones are toys


def _uses_toy_model(comparison: str, a: Setting, b: Setting) -> bool:
    if comparison not in ENCODER_COMPARISONS:
        return comparison in TOY_SIDES
    bundled = {spec.name for spec in list_models() if spec.source == "bundled"}
    return any(side.variant in bundled for side in (a, b))


def real_video_notice(video: str | Path | None, comparison: str, a: Setting, b: Setting) -> str | None:
    """The one line for a real clip under a comparison that runs a toy model on either side, else None."""
    if not is_real_clip(video) or not _uses_toy_model(comparison, a, b):
        return None
    models, untrue = TOY_SIDES[comparison]
    return (f"**Real video, toy models:** {models} trained only on the toy world; on this clip the costs, token "
            f"counts and mechanics hold, but not {untrue}.")
