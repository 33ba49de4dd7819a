"""Ground truth of the bundled example clips (assets/examples/*.npz, listed in manifest.json).

Each .npz holds: semantic, instance (T, H, W) uint8; occlusion (T-1, H, W) bool; flow_affine
(T-1, K, 2, 3) float64: per frame pair and instance id the affine map of that surface (the flow is
piecewise affine, so this stores it exactly in a few kB; `ExampleGroundTruth.flow` expands it);
action (int, -1 if none); segments (N, 3) int64 rows (start, end, label); fps; seed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.errors import UserInputError
from lib.examples import EXAMPLES_DIR
from lib.toyworld.render import flow_from_affines
from lib.toyworld.spec import BACKGROUND_ACTION, ActionSegment


@dataclass(frozen=True)
class ExampleGroundTruth:
    """Ground truth of one example clip; see the module docstring for shapes."""

    name: str
    semantic: np.ndarray
    instance: np.ndarray
    occlusion: np.ndarray
    flow_affine: np.ndarray
    action: int
    segments: tuple[ActionSegment, ...]
    fps: float
    seed: int

    @property
    def num_frames(self) -> int:
        return int(self.semantic.shape[0])

    def flow(self, t: int | None = None) -> np.ndarray:
        """Forward flow from frame t to t+1, (H, W, 2) float32; t=None: all pairs (T-1, H, W, 2) (large for
        long clips: prefer one t at a time)."""
        if t is not None:
            return flow_from_affines(self.instance[t], self.flow_affine[t])
        return np.stack([flow_from_affines(self.instance[i], self.flow_affine[i]) for i in range(self.num_frames - 1)])

    def frame_labels(self) -> np.ndarray:
        """(T,) int64 action id per frame: the segments' labels, -1 elsewhere (short clips: `action` everywhere)."""
        if not self.segments:
            return np.full(self.num_frames, self.action, np.int64)
        labels = np.full(self.num_frames, BACKGROUND_ACTION, np.int64)
        for seg in self.segments:
            labels[seg.start:seg.end] = seg.label
        return labels


def save_ground_truth(path: str | Path, *, semantic: np.ndarray, instance: np.ndarray, occlusion: np.ndarray,
                      flow_affine: np.ndarray, action: int, segments: tuple[ActionSegment, ...] = (),
                      fps: float = 25.0, seed: int = 0) -> Path:
    """Write one example's ground truth as a compressed .npz (the format `load_example_ground_truth` reads)."""
    rows = np.array([(s.start, s.end, s.label) for s in segments], np.int64).reshape(-1, 3)
    path = Path(path)
    np.savez_compressed(path, semantic=semantic, instance=instance, occlusion=occlusion,
                        flow_affine=flow_affine, action=np.int64(action), segments=rows,
                        fps=np.float64(fps), seed=np.int64(seed))
    return path


def load_example_ground_truth(name: str, examples_dir: str | Path = EXAMPLES_DIR) -> ExampleGroundTruth:
    """Ground truth of the example `name` (its manifest name, e.g. "toy_left") from assets/examples."""
    examples_dir = Path(examples_dir)
    manifest = json.loads((examples_dir / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["examples"]}
    entry = entries.get(name)
    if entry is None or not entry.get("ground_truth"):
        known = ", ".join(n for n, e in entries.items() if e.get("ground_truth"))
        raise UserInputError(f"No ground truth for example '{name}'; choose one of: {known}.")
    with np.load(examples_dir / entry["ground_truth"]) as data:
        segments = tuple(ActionSegment(int(s), int(e), int(l)) for s, e, l in data["segments"])
        return ExampleGroundTruth(name=name, semantic=data["semantic"], instance=data["instance"],
                                  occlusion=data["occlusion"], flow_affine=data["flow_affine"],
                                  action=int(data["action"]), segments=segments, fps=float(data["fps"]),
                                  seed=int(data["seed"]))
