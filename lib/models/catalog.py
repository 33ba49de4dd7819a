"""The allow-list: every model the app offers. Only names listed here can be loaded.

To add a model, append a `ModelSpec(...)` to `SPECS`; bundled weights live under assets/models/<name>/
and their `model.safetensors` must be committed (tests/test_models.py checks).
"""
from __future__ import annotations

from lib.models.spec import ClipSampling, ModelSpec

# Sampling of the hub checkpoints (/work/shared/CHECKPOINTS.md has every number with its source). Spatial
# numbers are those of each checkpoint's preprocessor_config.json, kept in assets/hub_configs/<ORG>--<NAME>/.
# Kinetics clips are mostly 30 fps; the strides below are counted at that rate and scaled to a video's own
# fps by lib.video.windows.
_KINETICS_FPS = 30.0
VIDEOMAE_K400 = ClipSampling(
    num_frames=16, frame_stride=4, short_side=224, crop=224, trained_fps=_KINETICS_FPS,
    source="VideoMAE K400 fine-tune 16x4 (MCG-NJU/VideoMAE scripts/kinetics/videomae_vit_base_patch16_224_"
           "tubemasking_ratio_0.9_epoch_1600/finetune.sh: --num_frames 16 --sampling_rate 4; test 5 clips x 3 "
           "crops); processor shortest_edge 224, crop 224, bilinear, ImageNet mean/std (re-saved copies of the "
           "hub preprocessor_config.json, e.g. hf:steveice/videomae-base-finetuned-kinetics-finetuned-...)")
TIMESFORMER_K400 = ClipSampling(
    num_frames=8, frame_stride=32, short_side=224, crop=224, trained_fps=_KINETICS_FPS,
    source="TimeSformer divST 8x32 (facebookresearch/TimeSformer configs/Kinetics/TimeSformer_divST_8x32_224.yaml: "
           "NUM_FRAMES 8, SAMPLING_RATE 32; test 1 clip x 3 crops); processor shortest_edge 224, crop 224, "
           "bilinear, mean/std 0.5 (hf:facebook/timesformer-base-finetuned-k400 preprocessor_config.json)")
CLIP_224 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=224, crop=224,
    source="CLIP image tower, one frame per input: shortest edge 224, centre crop 224, bicubic, OpenAI CLIP "
           "mean/std (hf:RedbeardNZ/clip-vit-large-patch14 preprocessor_config.json, a duplicate of openai's; "
           "for B/16 the same values are the CLIPImageProcessor defaults, its own file not opened)")
MASK2FORMER_384 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=384, crop=None,
    source="Mask2Former HF processor: fixed 384x384 resize (aspect not kept), size_divisor 32, bilinear, ImageNet "
           "mean/std (hf:facebook/mask2former-swin-tiny-{ade,cityscapes}-semantic preprocessor_config.json); "
           "the paper's test protocol is short side 512 (ADE) / 1024 (Cityscapes), not used here")
VIT_224 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=224, crop=None,
    source="ViT-B/16 IN-1k processor: fixed 224x224 resize, no crop, bilinear, mean/std 0.5 "
           "(hf:google/vit-base-patch16-224 preprocessor_config.json, refs/pr/21); TubeViT-B built from it takes "
           "32 frames decoded at short side 224 and centre-cropped to 224 (lib.methods.tubes)")

# download_mb of the hub checkpoints: neither /work/shared/CHECKPOINTS.md nor STACK.md lists the weight files'
# sizes, so these are parameter counts x 4 bytes (fp32): VideoMAE-B 86.5 M, TimeSformer-B 121.6 M, ViT-B/16 86.6 M,
# Mask2Former Swin-T 47.4 M; CLIP is the full checkpoint (text tower included: B/16 149.6 M, L/14 427.6 M) since the
# whole file is fetched. gflops_per_input: counted with FlopCounterMode at the sampling's input size (VideoMAE
# 16 x 224^2, TimeSformer 8 x 224^2, CLIP/ViT 224^2, Mask2Former 384^2); tests/test_model_costs.py recounts them.
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
        sampling=VIDEOMAE_K400,
        download_mb=346,
        gflops_per_input=360.69,
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
        sampling=TIMESFORMER_K400,
        download_mb=486,
        gflops_per_input=391.66,
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
        sampling=MASK2FORMER_384,
        download_mb=190,
        gflops_per_input=78.21,
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
        sampling=MASK2FORMER_384,
        download_mb=190,
        gflops_per_input=78.15,
    ),
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
        name="clip-vit-b16",
        family="clip",
        task="frame-encoder",
        source="hub",
        location="openai/clip-vit-base-patch16",
        model_class="transformers:CLIPVisionModelWithProjection",
        num_frames=None,
        image_size=224,
        description="CLIP ViT-B/16 image tower: one embedding (and 196 patch tokens) per frame.",
        needs_attention=False,  # read for tokens, keys and kernels, never for maps: fused attention
        sampling=CLIP_224,
        download_mb=599,
        gflops_per_input=35.13,
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
        needs_attention=False,  # read for tokens, keys and kernels, never for maps: fused attention
        sampling=CLIP_224,
        download_mb=1710,
        gflops_per_input=162.03,
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
        needs_attention=False,  # read for tokens, keys and kernels, never for maps: fused attention
        sampling=VIT_224,
        download_mb=346,
        gflops_per_input=35.13,
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
