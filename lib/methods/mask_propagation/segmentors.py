"""Key-frame segmentations for mask propagation, from three sources, in one form (`Segmentation`):
the bundled query segmentor, a hub Mask2Former (transformers), or masks the user painted.

The first step of a run, `segment_every_frame` / `painted_key_frame`, returns `KeyFrames`: how `propagate`
gets the masks of each key frame, and what one segmentation costs.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lib.errors import UserInputError
from lib.hooks.flops import count_flops
from lib.methods.mask_propagation.warp import resize_labels
from lib.models.precision import inference_precision, model_device
from lib.models.preprocess import PreprocessConfig, normalise_frames, resize_frames

IMAGENET_MEAN = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)
PAINTED_LOGIT = 8.0  # a painted (hard) mask as logits: sigmoid(8) = 0.9997
REFERENCE_BATCH = 1  # frames per forward: on CPU Mask2Former runs slower per frame in batches (0.78 vs 0.53 s, bf16)

# FLOPs per (model, input size), counted once per process: a segmentor is built per run, and counting is a forward
_FLOPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FLOPS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Segmentation:
    """One frame's segments (S of them, Mask2Former's queries or painted regions).

    class_probs: (S, K) float, each segment's class probabilities (the "no object" column dropped).
    mask_logits: (S, h, w) float, mask logits on the segmentor's grid (stride 4 for Mask2Former).
    queries:     (S, D) float query embeddings (MPVSS's query_out) or None (painted masks).
    class_names: the K class names.
    """

    class_probs: torch.Tensor
    mask_logits: torch.Tensor
    queries: torch.Tensor | None
    class_names: tuple[str, ...]

    def scores(self, size: tuple[int, int], mask_logits: torch.Tensor | None = None) -> torch.Tensor:
        """(K, H, W) class scores: sum over segments of class prob x mask prob, masks resized to `size`."""
        logits = self.mask_logits if mask_logits is None else mask_logits
        logits = F.interpolate(logits[None], size=size, mode="bilinear", align_corners=False)[0]
        return torch.einsum("sk,shw->khw", self.class_probs, logits.sigmoid())

    def labels(self, size: tuple[int, int], mask_logits: torch.Tensor | None = None) -> np.ndarray:
        """(H, W) uint8/int32 class map: argmax of scores (see `scores`)."""
        out = self.scores(size, mask_logits).argmax(0).numpy()
        return out.astype(np.uint8 if len(self.class_names) <= 256 else np.int32)


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255


class KeyFrameSegmentor:
    """Runs a model on frames and returns Segmentations; `flops(height, width)` is measured, not estimated.

    preprocess: a hub Mask2Former's image processor (lib.models.preprocess: fixed 384 x 384 resize, ImageNet
    mean/std): frames are brought to its input size (unchanged when already there, e.g. decoded from the
    source by task.segmentor_frames) and its mask logits stay on the model's grid (input / 4), which
    Segmentation.labels and the warping resize to any frame size. None: the bundled segmentor (frames as
    given) or a Mask2Former on the frames' own size with ImageNet statistics.
    """

    def __init__(self, model: torch.nn.Module, kind: str, class_names: tuple[str, ...],
                 preprocess: PreprocessConfig | None = None) -> None:
        if kind not in ("bundled", "mask2former"):
            raise ValueError(f"kind must be 'bundled' or 'mask2former', got {kind!r}")
        self.model, self.kind, self.class_names = model.eval().requires_grad_(False), kind, tuple(class_names)
        self.preprocess = preprocess if kind == "mask2former" else None

    def input_size(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) the model receives for height x width frames."""
        return self.preprocess.input_size if self.preprocess is not None else (int(height), int(width))

    def _pixels(self, frames: np.ndarray) -> torch.Tensor:
        """(B, H, W, 3) uint8 -> the model's input (B, 3, h, w)."""
        if self.preprocess is not None:
            return normalise_frames(resize_frames(frames, self.preprocess), self.preprocess)
        x = frames_to_tensor(frames)
        return x if self.kind == "bundled" else (x - IMAGENET_MEAN) / IMAGENET_STD

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.kind == "bundled":
            out = self.model(x)
            return out.class_logits, out.mask_logits, out.queries
        with inference_precision(model_device(self.model)):  # bfloat16 where the CPU computes it natively
            out = self.model(pixel_values=x)
        return (out.class_queries_logits.float(), out.masks_queries_logits.float(),
                out.transformer_decoder_last_hidden_state.float())

    @torch.no_grad()
    def segment(self, frames: np.ndarray, batch: int = 8) -> list[Segmentation]:
        """(T, H, W, 3) uint8 frames -> T Segmentations."""
        out = []
        for i in range(0, len(frames), batch):
            cls, masks, queries = self._forward_counting(self._pixels(frames[i:i + batch]))
            probs = cls.softmax(-1)[..., :-1]
            out.extend(Segmentation(probs[j], masks[j], queries[j], self.class_names) for j in range(len(probs)))
        return out

    def _forward_counting(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """_forward, with its FLOPs per frame counted on the way when none are known for this input size: the
        first segmentation of a run pays for the count, not an extra float32 forward (3 s for Mask2Former
        Swin-T on 2 CPU cores). Frames are independent, so one frame's FLOPs are the batch's over B."""
        size = (int(x.shape[-2]), int(x.shape[-1]))
        with _FLOPS_LOCK:
            known = size in _FLOPS.setdefault(self.model, {})
        if known:
            return self._forward(x)
        out = []
        total = count_flops(lambda: out.append(self._forward(x))).total
        with _FLOPS_LOCK:
            _FLOPS[self.model].setdefault(size, total // len(x))
        return out[0]

    def flops(self, height: int, width: int) -> int:
        """FLOPs of segmenting one height x width frame (torch.utils.flop_counter), at the size the model
        actually receives (input_size)."""
        size = self.input_size(height, width)
        with _FLOPS_LOCK:
            known = size in _FLOPS.setdefault(self.model, {})
        if not known:  # one forward of a blank frame, counted as a segmentation's first forward is
            with torch.no_grad():
                self._forward_counting(torch.zeros(1, 3, *size))
        with _FLOPS_LOCK:
            return _FLOPS[self.model][size]


def hub_class_names(model: torch.nn.Module) -> tuple[str, ...]:
    """Class names of a transformers Mask2Former from config.id2label, in id order."""
    id2label = model.config.id2label
    return tuple(str(id2label[i]) for i in range(len(id2label)))


def painted_segmentation(labels: np.ndarray, names: tuple[str, ...] | None = None) -> Segmentation:
    """Masks painted by the user -> a Segmentation with one hard segment per label.

    labels: (H, W) int, 0 = unpainted (background), 1..N = painted regions. Raises UserInputError when
    nothing is painted. Class k of the result is label k ("background", "region 1", ...).
    """
    labels = np.asarray(labels)
    present = [int(v) for v in np.unique(labels) if v != 0]
    if not present:
        raise UserInputError("Nothing is painted on the first frame: paint at least one region with the brush.")
    num = max(present) + 1
    names = names or ("background",) + tuple(f"region {i}" for i in range(1, num))
    one_hot = torch.from_numpy(np.eye(num, dtype=np.float32)[labels]).permute(2, 0, 1)  # (N+1, H, W)
    return Segmentation(class_probs=torch.eye(num), mask_logits=(one_hot * 2 - 1) * PAINTED_LOGIT, queries=None,
                        class_names=tuple(names))


def labels_from_painting(layer: np.ndarray, min_pixels: int = 4) -> np.ndarray:
    """An RGBA (or RGB) painting over the first frame -> (H, W) int32 labels, one per distinct brush colour.

    Transparent (alpha 0) or black pixels are unpainted. Colours covering fewer than `min_pixels` pixels
    (anti-aliasing fringes) are dropped. Label order follows the colours' first appearance in raster order.
    """
    layer = np.asarray(layer)
    if layer.ndim != 3 or layer.shape[-1] not in (3, 4):
        raise UserInputError("The painting could not be read; paint on the first frame with the brush.")
    painted = layer[..., 3] > 0 if layer.shape[-1] == 4 else layer[..., :3].any(-1)
    rgb = layer[..., :3].astype(np.int64)
    codes = np.where(painted, rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2], -1)
    out = np.zeros(codes.shape, np.int32)
    values, first, counts = np.unique(codes[codes >= 0], return_index=True, return_counts=True)
    order = [v for _, v, c in sorted(zip(first, values, counts)) if c >= min_pixels]
    for i, value in enumerate(order, start=1):
        out[codes == value] = i
    return out


@dataclass(frozen=True)
class KeyFrames:
    """Where one run's key-frame masks come from.

    segment(i) -> Segmentation of frame i (propagate calls it for key frames only). chained: painted masks,
    where only frame 0 has masks of its own and later key frames re-anchor on the propagated ones.
    flops / seconds: the cost of one segmentation (measured; 0 for painted masks). segmentations: all T
    frames' (the per-frame reference and the cost sweep's input), None for painted masks.
    """

    segment: Callable[[int], Segmentation]
    chained: bool
    flops: int
    seconds: float
    class_names: tuple[str, ...]
    segmentations: tuple[Segmentation, ...] | None = None


def segment_every_frame(segmentor: KeyFrameSegmentor, frames: np.ndarray,
                        model_frames: np.ndarray | None = None) -> KeyFrames:
    """Segment all (T, H, W, 3) uint8 frames once, one at a time (per-frame latency, like the flow).

    model_frames: the same T frames at the segmentor's own resolution (decoded from the source), used in
    place of `frames` when given; the FLOPs are those of the size the model receives.
    Propagation reads only the key frames'; the others are the per-frame baseline it is compared with.
    The latency of one segmentation is timed on single frames (the first two, the faster counts: the very first
    forward also sets up kernels); the rest are segmented REFERENCE_BATCH at a time.
    """
    source = frames if model_frames is None else model_frames
    if len(source) != len(frames):
        raise ValueError(f"model_frames has {len(source)} frames, the clip {len(frames)}")
    timed, seconds = [], float("inf")
    for i in range(min(2, len(source))):
        start = time.perf_counter()
        timed += segmentor.segment(source[i:i + 1], batch=1)
        seconds = min(seconds, time.perf_counter() - start)
    segmentations = tuple(timed) + tuple(segmentor.segment(source[len(timed):], batch=REFERENCE_BATCH))
    flops = segmentor.flops(*source.shape[1:3])
    return KeyFrames(segmentations.__getitem__, False, flops, seconds, segmentor.class_names, segmentations)


def painted_key_frame(painting: np.ndarray | None, size: tuple[int, int]) -> KeyFrames:
    """The user's painting (H', W', 3|4) over frame 0 as the only key-frame masks, resized to `size` (H, W).

    Raises UserInputError when nothing is painted.
    """
    if painting is None:
        raise UserInputError("Nothing is painted on the first frame: paint at least one region with the brush.")
    first = painted_segmentation(resize_labels(labels_from_painting(painting), *size))
    return KeyFrames(lambda i: first, True, 0, 0.0, first.class_names)
