"""The allow-list: every model the app offers. Only names listed here can be loaded.

To add a bundled model, append a `ModelSpec(...)` to `BUNDLED_SPECS`; its weights live under
assets/models/<name>/ and their `model.safetensors` must be committed (tests/test_models.py checks). Hub
checkpoints are in lib/models/catalog_hub.py, their sampling in lib/models/sampling.py.
"""
from __future__ import annotations

from lib.models.catalog_hub import HUB_SPECS
from lib.models.spec import ModelSpec

BUNDLED_SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="frame-vit-toy",
        family="frame-vit",
        task="frame-encoder",
        source="bundled",
        location="assets/models/frame-vit-toy",
        model_class="lib.methods.token_merging.model:FrameViT",
        num_frames=None,
        image_size=96,
        description="Small ViT (12x12 patches of 8 px) trained on toy-world frames; ToMe built in.",
    ),
    ModelSpec(
        name="stpt-tiny-toy",
        family="stpt",
        task="action-detection",
        source="bundled",
        location="assets/models/stpt-tiny-toy",
        model_class="lib.methods.attention.model:STPT",
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
        model_class="lib.methods.attention.model:STPT",
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
        model_class="lib.methods.long_range.frame_encoder:ToyFrameEncoder",
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
        model_class="lib.methods.long_range.model:ViS4merDecoder",
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
        model_class="lib.methods.long_range.model:ViS4merDecoder",
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
        model_class="lib.methods.tubes.model:TubeViT",
        num_frames=32,
        image_size=48,
        description="TubeViT-tiny: the paper's 4 tubes at half size (99 tokens of 32x48x48), 32 wide x 3 deep, "
                    "attention pooling; toy-world motion patterns among distractors under a moving camera "
                    "(scripts/train_tubevit.py).",
        needs_attention=True,
    ),
    ModelSpec(
        name="vivit-dense-tiny-toy",
        family="tubevit",
        task="video-classification",
        source="bundled",
        location="assets/models/vivit-dense-tiny-toy",
        model_class="lib.methods.tubes.model:TubeViT",
        num_frames=32,
        image_size=48,
        description="Dense twin of TubeViT-tiny: non-overlapping 8x4x4 tubelets (576 tokens), same width, depth "
                    "and training recipe (scripts/train_tubevit.py).",
        needs_attention=True,
    ),
    ModelSpec(
        name="query-segmentor-tiny-toy",
        family="query-segmentor",
        task="semantic-segmentation",
        source="bundled",
        location="assets/models/query-segmentor-tiny-toy",
        model_class="lib.methods.mask_propagation.segmentor_model:QuerySegmentor",
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
        model_class="lib.methods.mask_propagation.flow_model:MPVSSFlow",
        num_frames=2,
        image_size=None,
        description="MPVSS motion module: one flow per query of query-segmentor-tiny-toy "
                    "(scripts/train_mpvss_flow.py).",
    ),
)

SPECS: tuple[ModelSpec, ...] = HUB_SPECS + BUNDLED_SPECS
