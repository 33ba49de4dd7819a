"""Tiny random transformers models (VideoMAE, TimeSformer, Mask2Former, SigLIP, DINOv2) for the hub-path tests."""
import torch


def tiny_videomae(attn_implementation: str = "eager"):
    """VideoMAE with 4 frames of 32x32: tubelets 2x16x16 -> a 2x2x2 token grid, no CLS token."""
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification

    config = VideoMAEConfig(
        image_size=32, patch_size=16, num_frames=4, tubelet_size=2, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, num_labels=5,
    )
    config._attn_implementation = attn_implementation
    torch.manual_seed(0)
    return VideoMAEForVideoClassification(config).eval()


def tiny_timesformer():
    from transformers import TimesformerConfig, TimesformerForVideoClassification

    config = TimesformerConfig(
        image_size=32, patch_size=16, num_frames=4, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, num_labels=5,
    )
    torch.manual_seed(0)
    return TimesformerForVideoClassification(config).eval()


def tiny_mask2former():
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    swin = SwinConfig(
        image_size=64, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4,
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    config = Mask2FormerConfig(
        backbone_config=swin, hidden_dim=32, mask_feature_size=32, feature_size=32, encoder_feedforward_dim=32,
        dim_feedforward=32, num_queries=5, num_labels=3, decoder_layers=2, encoder_layers=1, num_attention_heads=2,
    )
    torch.manual_seed(0)
    return Mask2FormerForUniversalSegmentation(config).eval()


def tiny_siglip():
    """A full SiglipModel (text + vision, as google ships SigLIP 2 FixRes checkpoints) at the real input geometry
    (224 px, patch 16 -> 14x14 = 196 patches, no CLS) but 32 wide and 2 layers deep, so it runs in milliseconds."""
    from transformers import SiglipConfig, SiglipModel

    config = SiglipConfig(
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 4,
                     "vocab_size": 64, "max_position_embeddings": 16, "bos_token_id": 1, "eos_token_id": 2,
                     "pad_token_id": 0},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4,
                       "image_size": 224, "patch_size": 16},
    )
    torch.manual_seed(0)
    return SiglipModel(config).eval()


def tiny_dinov2():
    """Dinov2Model with the real geometry (patch 14, position grid of 518 px interpolated to the input: 224 px ->
    16x16 = 256 patches + CLS), 32 wide and 2 layers deep."""
    from transformers import Dinov2Config, Dinov2Model

    config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2, patch_size=14,
                          image_size=518)
    torch.manual_seed(0)
    return Dinov2Model(config).eval()


def tiny_vjepa2(attn_implementation: str = "eager"):
    """VJEPA2ForVideoClassification on 4 frames of 32x32: tubelets 2x16x16 -> a 2x2x2 grid (8 tokens, no CLS), 3-D
    RoPE, 2 encoder blocks, a 1-block predictor and 1 pooler self-attention layer (as in the real one, both extra to
    the 2 blocks the Attention tab records), 5 labels."""
    from transformers import VJEPA2Config, VJEPA2ForVideoClassification

    config = VJEPA2Config(
        crop_size=32, patch_size=16, frames_per_clip=4, tubelet_size=2, hidden_size=48, num_hidden_layers=2,
        num_attention_heads=4, mlp_ratio=2.0, num_pooler_layers=1, pred_hidden_size=24, pred_num_attention_heads=2,
        pred_num_hidden_layers=1, num_labels=5,
    )
    config._attn_implementation = attn_implementation
    torch.manual_seed(0)
    return VJEPA2ForVideoClassification(config).eval()


def tiny_sam2_video():
    """Sam2VideoModel at 128 px input (feature grids 32/16/8, prompt grid 8x8, low-res masks 32x32): Hiera 8 -> 64
    wide with 1, 1, 2, 1 blocks (block 3 global: a stage's first block cannot be), 128-wide FPN and memory attention
    (2 layers; object pointers are split into 128 / 64 = 2 memory tokens, and transformers needs hidden > 64 for
    that), 64-channel memories (its memory cross-attention input is fixed at 64) and 7 of them, as the real one."""
    from transformers import Sam2HieraDetConfig, Sam2VideoConfig, Sam2VideoModel, Sam2VisionConfig

    hiera = Sam2HieraDetConfig(hidden_size=8, image_size=[128, 128], embed_dim_per_stage=[8, 16, 32, 64],
                               num_attention_heads_per_stage=[1, 1, 2, 2], blocks_per_stage=[1, 1, 2, 1],
                               global_attention_blocks=[3], window_size_per_stage=[4, 4, 4, 4],
                               window_positional_embedding_background_size=[2, 2])
    vision = Sam2VisionConfig(backbone_config=hiera, backbone_channel_list=[64, 32, 16, 8], fpn_hidden_size=128,
                              backbone_feature_sizes=[[32, 32], [16, 16], [8, 8]])
    config = Sam2VideoConfig(
        vision_config=vision, image_size=128,
        prompt_encoder_config={"hidden_size": 128, "image_size": 128, "patch_size": 16, "mask_input_channels": 4},
        mask_decoder_config={"hidden_size": 128, "mlp_dim": 64, "num_attention_heads": 2, "iou_head_hidden_dim": 16},
        memory_attention_hidden_size=128, memory_attention_num_layers=2, memory_attention_feed_forward_hidden_size=64,
        memory_attention_rope_feat_sizes=[8, 8], memory_encoder_hidden_size=128, memory_encoder_output_channels=64,
        mask_downsampler_embed_dim=128, memory_fuser_embed_dim=128, memory_fuser_intermediate_dim=64,
    )
    torch.manual_seed(0)
    return Sam2VideoModel(config).eval()


def tiny_video_models_at_real_geometry():
    """{catalog name: tiny random model} with the hub checkpoints' real input geometry and depth-2, 16-wide blocks:
    VideoMAE 16 frames at 224 px (8x14x14 tubelets), TimeSformer 8 frames at 224 px (8x14x14 + CLS), V-JEPA 2 16
    frames at 256 px (8x16x16), 2 heads each, 5 labels."""
    from transformers import (
        TimesformerConfig,
        TimesformerForVideoClassification,
        VideoMAEConfig,
        VideoMAEForVideoClassification,
        VJEPA2Config,
        VJEPA2ForVideoClassification,
    )

    small = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, num_labels=5)
    torch.manual_seed(0)
    return {
        "videomae-base-k400": VideoMAEForVideoClassification(VideoMAEConfig(
            image_size=224, num_frames=16, intermediate_size=32, **small)).eval(),
        "timesformer-base-k400": TimesformerForVideoClassification(TimesformerConfig(
            image_size=224, num_frames=8, intermediate_size=32, **small)).eval(),
        "vjepa2-vitl-ssv2": VJEPA2ForVideoClassification(VJEPA2Config(
            crop_size=256, frames_per_clip=16, mlp_ratio=2.0, num_pooler_layers=1, pred_hidden_size=8,
            pred_num_attention_heads=2, pred_num_hidden_layers=1, **small)).eval(),
    }
