"""The hub checkpoints of the allow-list (lib/models/catalog.py joins them with the bundled models).

Each checkpoint's sampling (what it saw in training, with sources) lives in lib/models/sampling.py, its config
in assets/hub_configs/<ORG>--<NAME>/.
"""
from __future__ import annotations

from lib.models.sampling import (
    CLIP_224,
    DINOV2_224,
    MASK2FORMER_384,
    SIGLIP2_224,
    TIMESFORMER_K400,
    VIDEOMAE_K400,
    VIT_224,
    VJEPA2_SSV2,
)
from lib.models.spec import ClipSampling, ModelSpec

# download_mb of the hub checkpoints: neither /work/shared/CHECKPOINTS.md nor STACK.md lists the weight files'
# sizes, so these are parameter counts x 4 bytes (fp32): VideoMAE-B 86.5 M, TimeSformer-B 121.6 M, ViT-B/16 86.6 M,
# Mask2Former Swin-T 47.4 M, DINOv2-S/14 22.1 M, DINOv2-B/14 86.6 M, V-JEPA 2 L/16 SSv2 375.5 M (encoder 303.9 M,
# the unused predictor 22.1 M, the attentive probe); CLIP and SigLIP 2 are the full checkpoint (text
# tower included: CLIP B/16 149.6 M, L/14 427.6 M; SigLIP 2 B/16 375.2 M, 256k-token vocabulary) since the whole
# file is fetched. gflops_per_input: counted with FlopCounterMode at the sampling's input size (VideoMAE
# 16 x 224^2, TimeSformer 8 x 224^2, V-JEPA 2 16 x 256^2, CLIP/ViT/SigLIP 2/DINOv2 224^2, Mask2Former 384^2);
# tests/test_model_costs.py recounts them.
# SAM 2.1 hiera-tiny: 38.96 M parameters (sam2 README 38.9 M) x 4 bytes; its gflops_per_input is one frame's image
# encoder (Hiera + FPN at 1024^2), what every frame pays; memory attention and the decoder per object come on top.
SAM2_1024 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=1024, crop=None,
    source="SAM 2 video processor: every frame resized to a fixed 1024x1024 (aspect not kept), bilinear, rescale "
           "1/255, ImageNet mean/std, low-res masks 256x256 (transformers 5.23 sam2_video/video_processing_sam2_video"
           ".py, sam2/image_processing_sam2.py; CHECKPOINTS.md section 9); memory of the last 7 frames")
HUB_SPECS: tuple[ModelSpec, ...] = (
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
        name="vjepa2-vitl-ssv2",
        family="vjepa2",
        task="video-classification",
        source="hub",
        location="facebook/vjepa2-vitl-fpc16-256-ssv2",
        model_class="transformers:VJEPA2ForVideoClassification",
        num_frames=16,
        image_size=256,
        description="V-JEPA 2 ViT-L/16 (self-supervised video encoder, Assran et al. 2025), tubelets 2x16x16, "
                    "3-D RoPE, no CLS; attentive-probe classifier for Something-Something v2 (174 labels).",
        needs_attention=True,
        sampling=VJEPA2_SSV2,
        download_mb=1502,
        gflops_per_input=1870.49,
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
        gflops_per_input=79.17,
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
        gflops_per_input=79.10,
    ),
    ModelSpec(
        name="sam2.1-hiera-tiny",
        family="sam2",
        task="video-object-segmentation",
        source="hub",
        location="facebook/sam2.1-hiera-tiny",
        model_class="transformers:Sam2VideoModel",
        num_frames=None,
        image_size=1024,
        description="SAM 2.1 Hiera-T (Ravi et al. 2024): promptable video segmentation, a memory of the last 7 "
                    "frames carries mask prompts to the others (Mask propagation; offered only with a GPU).",
        sampling=SAM2_1024,
        download_mb=156,
        gflops_per_input=292.68,
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
        name="siglip2-base-p16-224",
        family="siglip",
        task="frame-encoder",
        source="hub",
        location="google/siglip2-base-patch16-224",
        model_class="transformers:SiglipVisionModel",
        num_frames=None,
        image_size=224,
        description="SigLIP 2 B/16 image tower at 224 px (FixRes; the encoder family of current video LLMs): "
                    "196 patch tokens per frame, no CLS token (it pools with an attention head).",
        needs_attention=False,  # read for tokens and keys, never for maps: fused attention
        sampling=SIGLIP2_224,
        download_mb=1501,
        gflops_per_input=35.42,
    ),
    ModelSpec(
        name="dinov2-small",
        family="dinov2",
        task="frame-encoder",
        source="hub",
        location="facebook/dinov2-small",
        model_class="transformers:Dinov2Model",
        num_frames=None,
        image_size=224,
        description="DINOv2 ViT-S/14, self-supervised (Oquab et al. 2023): 256 patch tokens + CLS per 224 px frame.",
        needs_attention=False,  # read for tokens and keys, never for maps: fused attention
        sampling=DINOV2_224,
        download_mb=88,
        gflops_per_input=12.25,
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
)
