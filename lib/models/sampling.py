"""What each hub checkpoint of the allow-list saw in training (ClipSampling), with the source of every number.

Kept apart from lib/models/catalog_hub.py (which names the checkpoints) so each file stays short.
"""
from __future__ import annotations

from lib.models.spec import ClipSampling

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
# Something-Something v2 videos are 12 fps (the dataset's published frame rate; not in the V-JEPA 2 sources below,
# UNVERIFIED in /work/shared/CHECKPOINTS.md): the probe's frame_step 4 counts source frames at that rate.
_SSV2_FPS = 12.0
VJEPA2_SSV2 = ClipSampling(
    num_frames=16, frame_stride=4, short_side=292, crop=256, trained_fps=_SSV2_FPS,
    source="V-JEPA 2 ViT-L SSv2 attentive probe 16x2x3 (facebookresearch/vjepa2 configs/eval/vitl/ssv2.yaml: "
           "frames_per_clip 16, frame_step 4, 2 segments x 3 views, resolution 256, tag ssv2-vitl16-16x2x3-16f; "
           "transformers convert_vjepa2_classifier_to_hf.py CLASSIFIERS: frames_per_clip 16, 174 labels); "
           "VJEPA2VideoProcessor: shortest edge int(256 * 256 / 224) = 292, centre crop 256, bilinear, rescale "
           "1/255, ImageNet mean/std (transformers 5.23 vjepa2/video_processing_vjepa2.py); tubelets 2x16x16 -> "
           "8x16x16 = 2,048 tokens, no CLS")
CLIP_224 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=224, crop=224,
    source="CLIP image tower, one frame per input: shortest edge 224, centre crop 224, bicubic, OpenAI CLIP "
           "mean/std (hf:RedbeardNZ/clip-vit-large-patch14 preprocessor_config.json, a duplicate of openai's; "
           "for B/16 the same values are the CLIPImageProcessor defaults, its own file not opened)")
SIGLIP2_224 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=224, crop=None,
    source="SigLIP 2 FixRes B/16 image tower, one frame per input: SiglipImageProcessor, fixed 224x224 resize "
           "(aspect not kept), no crop, bilinear (resample 2; SigLIP v1 used 3), rescale 1/255, mean/std 0.5 "
           "(hf:AXERA-TECH/siglip2-base-patch16-224 tokenizer/preprocessor_config.json, a copy of google's; "
           "google's -512 mirror has the same keys at 512); config: model_type siglip, vision defaults "
           "(hf:google/siglip2-base-patch16-224 config.json)")
DINOV2_224 = ClipSampling(
    num_frames=1, frame_stride=1, short_side=256, crop=224,
    source="DINOv2 image tower, one frame per input: BitImageProcessor, shortest edge 256, centre crop 224, "
           "bicubic, rescale 1/255, ImageNet mean/std (hf:Xenova/dinov2-base preprocessor_config.json, a copy; "
           "the 256 -> 224 crop is the original implementation's, hf:facebook/dinov2-base/discussions/7); "
           "patch 14 -> 16x16 patches + CLS; config hf:facebook/dinov2-small config.json (official)")
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
