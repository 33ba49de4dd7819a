"""Sparse video tube geometry (TubeViT, Piergiovanni et al. CVPR 2023): which voxels each tube token reads.

A tube is a 3-D convolution kernel (t, h, w) applied with a stride (t, h, w) to the video cropped at an
offset (t, h, w); VALID padding, so per axis it yields floor((L - offset - kernel) / stride) + 1 tokens.
Order everywhere is (time, height, width).

Adapted from the reading of daniel-code/TubeViT (tubevit/model.py, positional_encoding.py) and the
TF port 3nol/models (official/projects/tubevit); re-written, not copied.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lib.errors import UserInputError

Triple = tuple[int, int, int]


@dataclass(frozen=True)
class TubeSpec:
    """One tube: kernel, stride and offset in (frames, pixels, pixels)."""

    kernel: Triple
    stride: Triple
    offset: Triple = (0, 0, 0)

    def __post_init__(self) -> None:
        for name in ("kernel", "stride", "offset"):
            value = getattr(self, name)
            if len(value) != 3:
                raise UserInputError(f"A tube {name} needs 3 numbers (t, h, w); got {tuple(value)}.")
            object.__setattr__(self, name, tuple(int(v) for v in value))
        if min(self.kernel) < 1:
            raise UserInputError(f"Tube kernel sizes must be at least 1; got {self.kernel}.")
        if min(self.stride) < 1:
            raise UserInputError(f"Tube strides must be at least 1 (zero stride is not allowed); got {self.stride}.")
        if min(self.offset) < 0:
            raise UserInputError(f"Tube offsets cannot be negative; got {self.offset}.")

    @property
    def is_image_tube(self) -> bool:
        """A 1-frame kernel: the 2-D ViT patch, the only tube that also tokenises images."""
        return self.kernel[0] == 1

    def label(self) -> str:
        k, s, o = self.kernel, self.stride, self.offset
        text = f"{k[0]}x{k[1]}x{k[2]} s({s[0]},{s[1]},{s[2]})"
        return text + (f" o({o[0]},{o[1]},{o[2]})" if any(o) else "")

    def as_list(self) -> list[list[int]]:
        """[[kernel], [stride], [offset]]: the JSON form stored in model configs."""
        return [list(self.kernel), list(self.stride), list(self.offset)]


# The paper's main-results tubes for 32x224x224 input (§4.1), order (t, h, w).
PAPER_TUBES: tuple[TubeSpec, ...] = (
    TubeSpec((8, 8, 8), (16, 32, 32)),
    TubeSpec((16, 4, 4), (6, 32, 32), (4, 8, 8)),
    TubeSpec((4, 12, 12), (16, 32, 32), (0, 16, 16)),
    TubeSpec((1, 16, 16), (32, 16, 16)),
)
PAPER_INPUT: Triple = (32, 224, 224)


def scale_tubes(tubes: Sequence[TubeSpec], *, spatial: float = 1.0, temporal: float = 1.0) -> tuple[TubeSpec, ...]:
    """Every kernel, stride and offset multiplied per axis and rounded (kernels/strides at least 1).

    scale_tubes(PAPER_TUBES, spatial=0.5) suits 32x112x112 (same token grid as 32x224x224);
    on 32x64x64 it gives 176 tokens where 2x8x8 dense tubelets give 1024.
    """
    factors = (temporal, spatial, spatial)

    def scaled(values: Triple, minimum: int) -> Triple:
        return tuple(max(minimum, int(round(v * f))) for v, f in zip(values, factors))  # type: ignore[return-value]

    return tuple(TubeSpec(scaled(t.kernel, 1), scaled(t.stride, 1), scaled(t.offset, 0)) for t in tubes)


def dense_tubelets(tubelet: Triple) -> tuple[TubeSpec, ...]:
    """One tube whose stride equals its kernel: ViViT's non-overlapping tubelets (e.g. (2, 16, 16))."""
    return (TubeSpec(tuple(tubelet), tuple(tubelet)),)  # type: ignore[arg-type]


def tubes_from_lists(rows: Sequence[Sequence[Sequence[int]]]) -> tuple[TubeSpec, ...]:
    """[[kernel], [stride], [offset]] rows (the config / table form) -> TubeSpecs (validated)."""
    return tuple(TubeSpec(*[tuple(part) for part in row]) for row in rows)  # type: ignore[misc]


def tube_grid_size(input_shape: Sequence[int], tube: TubeSpec) -> Triple:
    """Tokens per axis of one tube on a (T, H, W) input: floor((L - offset - kernel) / stride) + 1.

    Raises UserInputError when the tube (plus its offset) does not fit inside the input on some axis.
    """
    names = ("frames", "pixels high", "pixels wide")
    sizes = []
    for axis, (length, k, s, o) in enumerate(zip(input_shape, tube.kernel, tube.stride, tube.offset)):
        room = int(length) - o - k
        if room < 0:
            raise UserInputError(
                f"Tube {tube.label()} needs {o + k} {names[axis]} (offset + kernel) but the clip has {length}; "
                "shrink the tube or its offset, or use a longer/larger clip.")
        sizes.append(room // s + 1)
    return tuple(sizes)  # type: ignore[return-value]


@dataclass(frozen=True)
class TubeLayout:
    """Where every token of a set of tubes comes from, on one input shape.

    input_shape: (T, H, W) of the video the tubes run on.
    tubes:       the TubeSpecs, in token order.
    grids:       per tube its token grid (nt, nh, nw); tokens are row-major (t, h, w) inside a tube.
    token_tube:  (N,) int, which tube made each token.
    starts:      (N, 3) int, first voxel (t, y, x) each token reads.
    ends:        (N, 3) int, one past the last voxel it reads (starts + kernel).
    centres:     (N, 3) float, the position-embedding centre: index*stride + offset + floor(kernel/2)
                 (the ports' convention; the exact geometric centre would be + (kernel-1)/2).
    """

    input_shape: Triple
    tubes: tuple[TubeSpec, ...]
    grids: tuple[Triple, ...]
    token_tube: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    centres: np.ndarray

    @property
    def num_tokens(self) -> int:
        return int(self.token_tube.shape[0])

    @property
    def tokens_per_tube(self) -> tuple[int, ...]:
        return tuple(int(np.prod(g)) for g in self.grids)

    def tube_slice(self, index: int) -> slice:
        """Token indices of tube `index` in the sequence."""
        start = int(sum(self.tokens_per_tube[:index]))
        return slice(start, start + self.tokens_per_tube[index])


def tube_layout(input_shape: Sequence[int], tubes: Sequence[TubeSpec]) -> TubeLayout:
    """The token grid of every tube on a (T, H, W) input, and each token's extent and centre.

    For 32x224x224 and PAPER_TUBES: 98 + 147 + 98 + 196 = 539 tokens (VALID convolution, as both public
    ports compute it). The paper quotes 559; the 20-token gap is not explained there.
    Raises UserInputError for an empty tube list or a tube that does not fit.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise UserInputError(f"The input shape must be (frames, height, width) with positive sizes; got {shape}.")
    if not tubes:
        raise UserInputError("Add at least one tube: with no tubes the video gives no tokens.")
    grids, owners, starts, centres = [], [], [], []
    for index, tube in enumerate(tubes):
        grid = tube_grid_size(shape, tube)
        cells = np.stack(np.meshgrid(*[np.arange(n) for n in grid], indexing="ij"), axis=-1).reshape(-1, 3)
        first = cells * np.asarray(tube.stride) + np.asarray(tube.offset)  # (n, 3)
        grids.append(grid)
        owners.append(np.full(len(cells), index))
        starts.append(first)
        centres.append(first + np.asarray(tube.kernel) // 2)
    starts_all = np.concatenate(starts).astype(np.int64)
    kernels = np.concatenate([np.tile(t.kernel, (int(np.prod(g)), 1)) for t, g in zip(tubes, grids)])
    return TubeLayout(input_shape=shape, tubes=tuple(tubes), grids=tuple(grids),
                      token_tube=np.concatenate(owners).astype(np.int64), starts=starts_all,
                      ends=starts_all + kernels.astype(np.int64),
                      centres=np.concatenate(centres).astype(np.float64))


def image_tubes(tubes: Sequence[TubeSpec]) -> tuple[TubeSpec, ...]:
    """The tubes that also tokenise a single image (1-frame kernels); an image has only these tokens."""
    chosen = tuple(t for t in tubes if t.is_image_tube)
    if not chosen:
        raise UserInputError("No tube has a 1-frame kernel, so images cannot be tokenised; add a 1xPxP tube.")
    return chosen
