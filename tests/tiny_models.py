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
