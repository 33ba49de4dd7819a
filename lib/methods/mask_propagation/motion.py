"""Flow methods for propagating key-frame masks: the MPVSS query flow, plain DIS optical flow, no flow.

Every method answers the same question: given the current frame, the key frame and the key frame's
Segmentation, one backward flow per segment, (S, 2, h, w), or one shared by all segments, (1, 2, h, w).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lib.hooks.flops import count_flops
from lib.methods.mask_propagation.flow import dis_flow
from lib.methods.mask_propagation.segmentors import Segmentation, frames_to_tensor

FLOW_METHODS: dict[str, str] = {
    "mpvss": "MPVSS query flow (one flow per mask)",
    "dis": "Plain optical flow (OpenCV DIS, one flow for all masks)",
    "none": "No flow (copy the key-frame mask)",
}


@dataclass(frozen=True)
class FlowEstimate:
    """flows: (S, 2, h, w) one per segment, or (1, 2, h, w) shared; backward, in pixels of the h x w grid.
    per_segment: True when each segment has its own flow (MPVSS with the segmentor's queries).
    refine: warped class scores (K, h4, w4) -> refined class logits (K, h4, w4) from the current frame
    (MPVSS with its refiner and the segmentor it was trained with), else None."""

    flows: torch.Tensor
    per_segment: bool
    refine: Callable[[torch.Tensor], torch.Tensor] | None = None


class FlowMethod:
    """One of FLOW_METHODS. `estimate(current, key, key_seg)` -> FlowEstimate; `flops(h, w)` measured."""

    def __init__(self, name: str, motion_model: torch.nn.Module | None = None, *, refine: bool = True) -> None:
        """refine=False: MPVSS without its refiner (warped masks only), for the benchmark's ablation."""
        if name not in FLOW_METHODS:
            raise ValueError(f"flow method must be one of {sorted(FLOW_METHODS)}, got {name!r}")
        if name == "mpvss" and motion_model is None:
            raise ValueError("the mpvss flow needs its motion model")
        self.name, self.refine = name, refine
        self.model = motion_model.eval().requires_grad_(False) if motion_model is not None else None
        self._flops: dict[tuple[int, int, bool, bool], int] = {}

    def uses_queries(self, seg: Segmentation) -> bool:
        """MPVSS conditions on the key frame's queries only when they come from the segmentor it was
        trained with (same width and at most as many queries); otherwise it uses its pixel flow for all."""
        return (self.model is not None and seg.queries is not None
                and seg.queries.shape[-1] == self.model.query_in.in_features
                and seg.queries.shape[0] <= self.model.num_queries)

    def refines(self, seg: Segmentation) -> bool:
        """The refiner corrects class scores of the segmentor it was trained with (same classes, its queries)."""
        return (self.refine and self.uses_queries(seg) and getattr(self.model, "refiner", None) is not None
                and seg.class_probs.shape[-1] == self.model.num_classes)

    @torch.no_grad()
    def estimate(self, current: np.ndarray, key: np.ndarray, seg: Segmentation) -> FlowEstimate:
        """current, key: (H, W, 3) uint8 frames."""
        h, w = current.shape[:2]
        if self.name == "none":
            return FlowEstimate(torch.zeros(1, 2, h, w), False)
        if self.name == "dis":
            return FlowEstimate(torch.from_numpy(dis_flow(current, key)).permute(2, 0, 1)[None], False)
        pair = frames_to_tensor(np.stack([current, key]))
        if self.uses_queries(seg):
            out = self.model(pair[:1], pair[1:], seg.queries[None])
            refine = None
            if self.refines(seg):
                def refine(scores: torch.Tensor) -> torch.Tensor:
                    return self.model.refine(scores[None], out.features, pair[:1])[0]
            return FlowEstimate(out.query_flow[0], True, refine)
        return FlowEstimate(self.model(pair[:1], pair[1:], None).pixel_flow, False)

    def flops(self, height: int, width: int, seg: Segmentation | None = None) -> int:
        """FLOPs of one flow estimate (and the refinement, when it runs) for a height x width frame, counted by
        torch's FlopCounterMode. DIS runs in OpenCV, outside the counter, and no flow costs nothing: both 0."""
        if self.model is None:
            return 0
        with_queries = seg is not None and self.uses_queries(seg)
        refined = seg is not None and self.refines(seg)
        key = (height, width, with_queries, refined)
        if key not in self._flops:
            x = torch.zeros(1, 3, height, width)
            q = seg.queries[None] if with_queries else None
            grid = tuple(seg.mask_logits.shape[-2:]) if refined else None

            def step() -> None:
                out = self.model(x, x, q)
                if refined:
                    self.model.refine(torch.ones(1, self.model.num_classes, *grid), out.features, x)

            with torch.no_grad():
                self._flops[key] = count_flops(step).total
        return self._flops[key]
