"""Tiny random transformers models (VideoMAE, TimeSformer, Mask2Former) for the hub-path tests."""
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
