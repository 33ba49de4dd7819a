"""`ModelSpec`: what the registry knows about one model it may load."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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

    def __post_init__(self) -> None:
        if self.source not in ("bundled", "hub"):
            raise ValueError(f"{self.name}: source must be 'bundled' or 'hub', got {self.source!r}")
        if ":" not in self.model_class:
            raise ValueError(f"{self.name}: model_class must look like 'module.path:ClassName'")
