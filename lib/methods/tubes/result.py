"""The Tubes tab's result type: what run_tubes measured on one clip (render.py draws it, task.py builds it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lib.methods.tubes.geometry import TubeLayout

if TYPE_CHECKING:  # cost.py counts FLOPs with lib.hooks; render modules import this file and must not pull that in
    from lib.methods.tubes.cost import EncoderSize, TokeniserCost


@dataclass(frozen=True)
class TubesResult:
    """Everything the Tubes tab shows for one clip.

    frames:       (T, H, W, 3) uint8 clip as analysed (its own aspect ratio, short side e.g. 224).
    layout:       the analysed tubes on frames' shape (T, H, W); costs: tokens/GFLOPs of three tokenisers.
    position:     (N, D) fixed sin-cos codes of layout's tokens (D = encoder.dim).
    model_name, class_names; probabilities (classes,) softmax of the model's logits.
    model_layout: the model's own tubes on its input shape; kernels: per model tube (D, C, t, h, w).
    pool_weights: (N_model,) attention-pooling weight of each model token (sums to 1).
    crop:         (y0, y1, x0, x1) of frames that the model saw (it centre-crops to its aspect ratio).
    model_frames: (T_model,) index into frames of each frame the model saw.
    head_trained: whether the model's pooling and head were trained for video. When False (TubeViT-B inflated
                  from an image ViT: a fresh, random head) probabilities and pool_weights are no prediction
                  and nothing may be claimed from them; the renders say "head not trained for video".
    """

    frames: np.ndarray
    layout: TubeLayout
    costs: tuple[TokeniserCost, ...]
    encoder: EncoderSize
    position: np.ndarray
    model_name: str
    class_names: tuple[str, ...]
    probabilities: np.ndarray
    model_layout: TubeLayout
    kernels: tuple[np.ndarray, ...]
    pool_weights: np.ndarray
    crop: tuple[int, int, int, int]
    model_frames: np.ndarray
    head_trained: bool = True

    @property
    def prediction(self) -> tuple[str, float] | None:
        """(top class, its probability), or None when the head was not trained for video."""
        if not self.head_trained:
            return None
        top = int(np.argmax(self.probabilities))
        return self.class_names[top], float(self.probabilities[top])

    @property
    def pool_by_tube(self) -> np.ndarray:
        """(num model tubes,) total pooling weight of each tube's tokens."""
        return np.bincount(self.model_layout.token_tube, weights=self.pool_weights,
                           minlength=len(self.model_layout.tubes))
