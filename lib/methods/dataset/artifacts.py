"""--save-artifacts: the arrays (NPZ) and one picture (PNG) of a row, under artifacts/<task>/.

The pictures come from the tabs' own render functions (through their faces); this module only saves them.
Rows get `artifact_npz` and `artifact_png`: paths relative to the output folder.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from lib.methods.attention import render_picker
from lib.methods.dataset.settings import settings_key
from lib.methods.long_range import render_filmstrip
from lib.methods.mask_propagation import render_strip
from lib.methods.token_merging import render_sources
from lib.methods.tubes import render_kernel_sheet


def _arrays(result, task: str) -> dict[str, np.ndarray]:
    """The arrays worth keeping per task (shapes in each result type's docstring)."""
    if task == "tubes":
        return {"probabilities": result.probabilities, "pool_weights": result.pool_weights}
    if task == "mask-propagation":
        return {"labels": result.track.labels, "frame_iou": result.frame_iou, "drift": result.drift}
    if task == "token-merging":
        return {"sequence": result.sequence, "similarity": result.similarity, "timestamps": result.timestamps}
    if task == "attention":
        return {"spatial": np.stack([s.spatial for s in result.main.stats]),
                "temporal": np.stack([s.temporal for s in result.main.stats]),
                "entropy": np.stack([s.entropy for s in result.main.stats])}
    return {"kernel_memory": result.kernel_memory, "attention_span": result.attention_span,
            "s4_probs": result.s4.probs, "attention_probs": result.attention_run.probs}


def _picture(result, task: str) -> np.ndarray:
    """(H, W, 3) uint8: one picture the tab shows."""
    if task == "tubes":
        return render_kernel_sheet(result)
    if task == "mask-propagation":
        return render_strip(result, 0)
    if task == "token-merging":
        return render_sources(result, 0, 0)
    if task == "attention":
        frame = len(result.frames) // 2
        side = result.frames.shape[1]
        return render_picker(result, frame=frame, y=side // 2, x=side // 2)
    return render_filmstrip(result)


def save_artifacts(result, task: str, settings: dict, sha256: str, folder: Path) -> dict:
    """Write <sha256[:16]>-<settings hash>.npz / .png under folder/artifacts/<task>/; their relative paths."""
    tag = hashlib.sha256(settings_key(settings).encode()).hexdigest()[:8]
    target = folder / "artifacts" / task
    target.mkdir(parents=True, exist_ok=True)
    stem = target / f"{sha256[:16]}-{tag}"
    np.savez_compressed(stem.with_suffix(".npz"), **_arrays(result, task))
    picture = np.asarray(_picture(result, task))
    Image.fromarray(picture.astype(np.uint8)).save(stem.with_suffix(".png"))
    return {"artifact_npz": str(stem.with_suffix(".npz").relative_to(folder)),
            "artifact_png": str(stem.with_suffix(".png").relative_to(folder))}
