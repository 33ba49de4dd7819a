"""The fixed list of models the app offers, and the one loader for all of them.

Only names in `SPECS` can be loaded: the app never loads arbitrary hub ids or remote code.
To add a model, append a `ModelSpec(...)` to `SPECS` (bundled weights live under assets/models/).
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from lib.models.device import get_device
from lib.models.errors import ModelUnavailableError
from lib.models.hub import load_pretrained

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "assets" / "models"

# Tasks whose hub models always load with eager attention, so their attention can be recorded.
VIDEO_TASKS = frozenset({"video-classification", "action-detection", "long-video-classification"})


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


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="videomae-base-k400",
        family="videomae",
        task="video-classification",
        source="hub",
        location="MCG-NJU/videomae-base-finetuned-kinetics",
        model_class="transformers:VideoMAEForVideoClassification",
        num_frames=16,
        image_size=224,
        description="VideoMAE ViT-B/16, tubelets 2x16x16, fine-tuned on Kinetics-400 (Tong et al. 2022).",
        needs_attention=True,
    ),
    ModelSpec(
        name="timesformer-base-k400",
        family="timesformer",
        task="video-classification",
        source="hub",
        location="facebook/timesformer-base-finetuned-k400",
        model_class="transformers:TimesformerForVideoClassification",
        num_frames=8,
        image_size=224,
        description="TimeSformer-B, divided space-time attention, Kinetics-400 (Bertasius et al. 2021).",
        needs_attention=True,
    ),
    ModelSpec(
        name="mask2former-swin-t-ade",
        family="mask2former",
        task="semantic-segmentation",
        source="hub",
        location="facebook/mask2former-swin-tiny-ade-semantic",
        model_class="transformers:Mask2FormerForUniversalSegmentation",
        num_frames=None,
        image_size=384,
        description="Mask2Former with a Swin-T backbone, ADE20K semantic segmentation (150 classes).",
    ),
    ModelSpec(
        name="mask2former-swin-t-cityscapes",
        family="mask2former",
        task="semantic-segmentation",
        source="hub",
        location="facebook/mask2former-swin-tiny-cityscapes-semantic",
        model_class="transformers:Mask2FormerForUniversalSegmentation",
        num_frames=None,
        image_size=384,
        description="Mask2Former with a Swin-T backbone, Cityscapes semantic segmentation (19 classes).",
    ),
    ModelSpec(
        name="frame-vit-toy",
        family="frame-vit",
        task="frame-encoder",
        source="bundled",
        location="assets/models/frame-vit-toy",
        model_class="lib.models.frame_vit:FrameViT",
        num_frames=None,
        image_size=96,
        description="Small ViT (12x12 patches of 8 px) trained on toy-world frames; ToMe built in.",
    ),
    ModelSpec(
        name="clip-vit-b16",
        family="clip",
        task="frame-encoder",
        source="hub",
        location="openai/clip-vit-base-patch16",
        model_class="transformers:CLIPVisionModelWithProjection",
        num_frames=None,
        image_size=224,
        description="CLIP ViT-B/16 image tower: one embedding (and 196 patch tokens) per frame.",
        needs_attention=True,
    ),
    ModelSpec(
        name="clip-vit-l14",
        family="clip",
        task="frame-encoder",
        source="hub",
        location="openai/clip-vit-large-patch14",
        model_class="transformers:CLIPVisionModelWithProjection",
        num_frames=None,
        image_size=224,
        description="CLIP ViT-L/14 image tower (the LLaVA / Video-ChatGPT frame encoder).",
        needs_attention=True,
    ),
    ModelSpec(
        name="vit-b16-in1k",
        family="vit",
        task="image-classification",
        source="hub",
        location="google/vit-base-patch16-224",
        model_class="transformers:ViTForImageClassification",
        num_frames=None,
        image_size=224,
        description="ViT-B/16 on ImageNet-1k: 2-D patch kernels to inflate into 3-D tubes (TubeViT).",
        needs_attention=True,
    ),
    ModelSpec(
        name="stpt-tiny-toy",
        family="stpt",
        task="action-detection",
        source="bundled",
        location="assets/models/stpt-tiny-toy",
        model_class="lib.models.stpt:STPT",
        num_frames=64,
        image_size=64,
        description="STPT-style tiny detector: 3-D local window attention in stages 1-2, global in 3-4, temporal "
                    "pyramid, anchor-free head; toy-world action segments (scripts/train_stpt.py).",
        needs_attention=True,
    ),
    ModelSpec(
        name="stpt-global-tiny-toy",
        family="stpt",
        task="action-detection",
        source="bundled",
        location="assets/models/stpt-global-tiny-toy",
        model_class="lib.models.stpt:STPT",
        num_frames=64,
        image_size=64,
        description="Twin of STPT-tiny with global attention in every stage; same layers and training recipe "
                    "(scripts/train_stpt.py --variant global).",
        needs_attention=True,
    ),
    ModelSpec(
        name="toy-frame-encoder",
        family="toy-cnn",
        task="frame-encoder",
        source="bundled",
        location="assets/models/toy-frame-encoder",
        model_class="lib.models.frame_encoder_toy:ToyFrameEncoder",
        num_frames=2,
        image_size=64,
        description="Tiny CNN: a frame and its change to the next sampled frame -> 2x2 tokens (toy world).",
    ),
    ModelSpec(
        name="vis4mer-tiny-toy",
        family="vis4mer",
        task="long-video-classification",
        source="bundled",
        location="assets/models/vis4mer-tiny-toy",
        model_class="lib.models.vis4mer:ViS4merDecoder",
        num_frames=None,
        image_size=None,
        description="ViS4mer multi-scale S4D decoder (3 layers, 128->16 channels): counts bounces in long toy videos.",
    ),
    ModelSpec(
        name="vis4mer-attention-tiny-toy",
        family="vis4mer",
        task="long-video-classification",
        source="bundled",
        location="assets/models/vis4mer-attention-tiny-toy",
        model_class="lib.models.vis4mer:ViS4merDecoder",
        num_frames=None,
        image_size=None,
        description="The same decoder with self-attention in place of S4 (same widths, same training recipe).",
        needs_attention=True,
    ),
    ModelSpec(
        name="tubevit-tiny-toy",
        family="tubevit",
        task="video-classification",
        source="bundled",
        location="assets/models/tubevit-tiny-toy",
        model_class="lib.models.tubevit:TubeViT",
        num_frames=32,
        image_size=48,
        description="TubeViT-tiny: the paper's 4 tubes at half size (99 tokens of 32x48x48), 32 wide x 3 deep, "
                    "attention pooling; toy-world motion patterns, one shape, still camera (scripts/train_tubevit.py).",
        needs_attention=True,
    ),
    ModelSpec(
        name="vivit-dense-tiny-toy",
        family="tubevit",
        task="video-classification",
        source="bundled",
        location="assets/models/vivit-dense-tiny-toy",
        model_class="lib.models.tubevit:TubeViT",
        num_frames=32,
        image_size=48,
        description="Dense twin of TubeViT-tiny: non-overlapping 2x8x8 tubelets (576 tokens), same width, depth "
                    "and training recipe (scripts/train_tubevit.py).",
        needs_attention=True,
    ),
    ModelSpec(
        name="query-segmentor-tiny-toy",
        family="query-segmentor",
        task="semantic-segmentation",
        source="bundled",
        location="assets/models/query-segmentor-tiny-toy",
        model_class="lib.models.query_segmentor:QuerySegmentor",
        num_frames=None,
        image_size=None,
        description="Tiny Mask2Former-style query segmentor (10 queries, 7 toy-world classes) "
                    "(scripts/train_query_segmentor.py).",
    ),
    ModelSpec(
        name="mpvss-flow-tiny-toy",
        family="mpvss-flow",
        task="motion",
        source="bundled",
        location="assets/models/mpvss-flow-tiny-toy",
        model_class="lib.models.mpvss_flow:MPVSSFlow",
        num_frames=2,
        image_size=None,
        description="MPVSS motion module: one flow per query of query-segmentor-tiny-toy "
                    "(scripts/train_mpvss_flow.py).",
    ),
)


def _specs_by_name() -> dict[str, ModelSpec]:
    by_name: dict[str, ModelSpec] = {}
    for spec in SPECS:
        if spec.name in by_name:
            raise ValueError(f"duplicate model name in SPECS: {spec.name}")
        by_name[spec.name] = spec
    return by_name


def list_models(*, task: str | None = None, family: str | None = None) -> list[ModelSpec]:
    """Specs in SPECS order, optionally only those of one task and/or family."""
    return [
        s for s in SPECS if (task is None or s.task == task) and (family is None or s.family == family)
    ]


def get_spec(name: str) -> ModelSpec:
    """The spec called `name`; ModelUnavailableError (listing the known names) for anything else."""
    by_name = _specs_by_name()
    if name not in by_name:
        known = ", ".join(by_name) or "none"
        raise ModelUnavailableError(f"Unknown model {name!r}; choose one of: {known}.")
    return by_name[name]


def import_class(path: str) -> type:
    """"package.module:ClassName" -> the class (imports the module only now)."""
    module_name, _, class_name = path.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"model_class must look like 'module.path:ClassName', got {path!r}")
    return getattr(importlib.import_module(module_name), class_name)


def load_from(
    spec: ModelSpec, location: str | Path | None = None, *, device: str | torch.device | None = None
) -> torch.nn.Module:
    """Build `spec`'s model from `location` (default: the spec's own folder or hub id), uncached.

    Returns the model in eval mode on `device` (see get_device), float32.
    Bundled: `ModelClass.from_pretrained(folder, strict=True)` (PyTorchModelHubMixin).
    Hub: transformers `from_pretrained`, cache first, eager attention for attention/video models,
    never remote code. Raises ModelUnavailableError when the weights cannot be had.
    """
    target = get_device(device)
    model_class = import_class(spec.model_class)
    if spec.source == "bundled":
        folder = Path(location) if location is not None else REPO_ROOT / spec.location
        if not (folder / "model.safetensors").is_file():
            raise ModelUnavailableError(
                f"{spec.name} has no weights in {folder}; run its training script or pick another model."
            )
        model = model_class.from_pretrained(folder, strict=True)
    elif spec.source == "hub":
        kwargs: dict = {"dtype": torch.float32}
        if spec.needs_attention or spec.task in VIDEO_TASKS:
            kwargs["attn_implementation"] = "eager"
        source = str(location) if location is not None else spec.location
        try:
            model, info = load_pretrained(
                model_class.from_pretrained, source, name=spec.name, output_loading_info=True, **kwargs
            )
        except RuntimeError as error:  # e.g. weights of another shape than the class expects
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelUnavailableError(
                f"{spec.name} could not be built from its checkpoint ({first_line}); pick another model."
            ) from error
        _refuse_partial_weights(spec, info)
    else:
        raise ValueError(f"unknown source {spec.source!r} for {spec.name}")
    return model.to(target).eval()


def _refuse_partial_weights(spec: ModelSpec, info: dict) -> None:
    """transformers re-initialises missing or differently shaped weights with only a log line;
    a model that silently computes with random weights is worse than an error."""
    problems = sorted(info.get("missing_keys") or []) + sorted(k[0] for k in info.get("mismatched_keys") or [])
    if problems:
        shown = ", ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
        raise ModelUnavailableError(
            f"{spec.name}: the checkpoint does not fit {spec.model_class} ({len(problems)} weights missing "
            f"or of another shape: {shown}); pick another model."
        )


@functools.lru_cache(maxsize=6)
def _load_cached(name: str, device: str) -> torch.nn.Module:
    return load_from(get_spec(name), device=device)


def load_model(name: str, *, device: str | torch.device | None = None) -> torch.nn.Module:
    """The model called `name`, loaded once per (name, device) and shared: treat it as read-only."""
    get_spec(name)  # refuse unknown names before touching the cache
    return _load_cached(name, str(get_device(device)))


def clear_model_cache() -> None:
    """Forget every loaded model (tests, or to free memory)."""
    _load_cached.cache_clear()
