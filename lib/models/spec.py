"""`ModelSpec`: what the registry knows about one model it may load."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ClipSampling:
    """What a pretrained checkpoint saw in training, so the app feeds it the same (DESIGN.md section 3b).

    num_frames:   frames per clip.
    frame_stride: source frames between two sampled frames, counted at `trained_fps` (VideoMAE K400: 16 x 4).
    trained_fps:  frame rate of the training videos the stride refers to (Kinetics: about 30).
    short_side:   resize the short side to this many pixels, keeping the aspect ratio ...
    crop:         ... then centre-crop a crop x crop square (None: no crop; a processor with a fixed
                  (height, width) resize, e.g. Mask2Former's 384 x 384, then scales to that size).
                  The exact resize filter and normalisation are the checkpoint's preprocessor_config.json
                  (lib.models.preprocess.spec_preprocess_config); frames are decoded from the source at
                  this resolution (lib.video.windows), never upscaled from the tab's analysis copy.
    source:       where these numbers come from (a config file, a paper table, a training script).

    Image checkpoints (CLIP, ViT, Mask2Former) have num_frames = frame_stride = 1: every frame is one input.
    """

    num_frames: int
    frame_stride: int
    short_side: int
    crop: int | None
    source: str
    trained_fps: float = 30.0

    @property
    def window_seconds(self) -> float:
        """Seconds of video one clip spans: (num_frames - 1) * frame_stride / trained_fps."""
        return (self.num_frames - 1) * self.frame_stride / self.trained_fps

    def __post_init__(self) -> None:
        if self.num_frames < 1 or self.frame_stride < 1 or self.short_side < 1:
            raise ValueError(f"num_frames, frame_stride and short_side must be >= 1: {self}")
        if self.crop is not None and self.crop > self.short_side:
            raise ValueError(f"crop {self.crop} is larger than the short side {self.short_side}")
        if not self.trained_fps > 0:
            raise ValueError(f"trained_fps must be positive, got {self.trained_fps}")


@dataclass(frozen=True)
class ModelSpec:
    """One model the app offers.

    name:        key and UI label, unique in SPECS.
    family:      architecture family, e.g. "videomae", "tubevit"; used for defaults such as normalisation.
    task:        "video-classification", "semantic-segmentation", "action-detection", "frame-encoder",
                 "long-video-classification", "image-classification", ...
    source:      "bundled" (weights committed under assets/models/) or "hub" (Hugging Face Hub id).
    location:    for bundled, the folder relative to the repo root (e.g. "assets/models/tubevit-toy");
                 for hub, the repo id (e.g. "MCG-NJU/videomae-base-finetuned-kinetics").
    model_class: "module.path:ClassName" whose `from_pretrained(folder_or_id)` builds the model.
    num_frames:  frames the model takes per clip (None for image models).
    image_size:  input side in pixels (None when any size works).
    needs_attention: load with eager attention so attention maps can be recorded.
    sampling:    for pretrained checkpoints, the temporal and spatial sampling they were trained with
                 (None: the bundled toy models, which take what their tab gives them).
    download_mb: hub checkpoints: approximate size of the weights a first use downloads (MB = 10^6 bytes).
    gflops_per_input: hub checkpoints: forward GFLOPs of one input as `sampling` shapes it (a clip for video
                 models, a frame for image models; torch.utils.flop_counter, a multiply-add = 2 FLOPs), counted
                 on the architecture of assets/hub_configs (tests/test_model_costs.py recounts them). What time
                 estimates before a run start from (lib.models.speed).
    """

    name: str
    family: str
    task: str
    source: Literal["bundled", "hub"]
    location: str
    model_class: str
    num_frames: int | None
    image_size: int | None
    description: str
    needs_attention: bool = False
    sampling: ClipSampling | None = None
    download_mb: float | None = None
    gflops_per_input: float | None = None

    def __post_init__(self) -> None:
        if self.source not in ("bundled", "hub"):
            raise ValueError(f"{self.name}: source must be 'bundled' or 'hub', got {self.source!r}")
        if ":" not in self.model_class:
            raise ValueError(f"{self.name}: model_class must look like 'module.path:ClassName'")
