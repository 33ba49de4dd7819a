"""Token merging tab (LongVLM + ToMe): a long video as a few hundred tokens, each knowing its source patches.

    result = run_token_merging("clip.mp4", num_frames=100, num_segments=10, tokens_per_segment=30)
    result.summary()                              # Markdown: counts, ratio, where the time went
    render_timeline(result, segment, token)       # plotly: one bar per merged token over the video's time
    render_sources(result, segment, token)        # image: that token's source patches on its frames
    render_groups(result, segment, step)          # image: ToMe-style groups of a segment after a merge step
    render_merge_steps(result, segment, step)     # plotly: tokens left after each merge step
    render_budget(result) / budget_rows(result)   # plotly + table rows: raw vs LongVLM vs pooling vs 8 frames
    render_similarity(result)                     # plotly: segment-by-segment similarity of merged tokens
    group_picture(frames, assignment, grid)       # the group picture of any frames + token assignment

    tome = run_tome_encoder("clip.mp4", r=20)      # ToMe inside the bundled encoder, with and without merging
    tome.summary(); render_tome_groups(tome)      # FLOPs and wall time; each frame's groups after the last block

encoder_choices() lists the frame encoders (DEFAULT_MODEL first); METRICS the similarity metrics.
default_frames(model) / default_segments(model): the frame and segment counts a default action samples (fewer
for big pretrained towers, so it stays under ~10 s here); time_estimate(model, frames) says how long encoding
takes, before it runs.
`video` is a path (decoded here, LongVLM's bin-middle sampling by segments) or an already decoded Clip.
A pretrained tower (CLIP, SigLIP 2, DINOv2) gets its frames decoded from the source and prepared by its own
processor (224 x 224: CLIP / DINOv2 centre crops, SigLIP 2 a fixed resize); SigLIP has no CLS token, so its
global tokens are mean patch tokens (result.global_from says which).
    real_video_notice(video, model) -> str | None; real_video_advice(...) (+ switch to PRETRAINED_MODEL)
    export_token_merging(result, folder, settings={...}, clip=path, tome=tome_result)  # Download zip
"""
from lib.methods.token_merging.encoder import run_tome_encoder
from lib.methods.token_merging.export import export_token_merging, token_merging_export_parts
from lib.methods.token_merging.notice import (
    PRETRAINED_MODEL,
    real_video_advice,
    real_video_notice,
    tome_real_video_notice,
)
from lib.methods.token_merging.render import (
    BUDGET_HEADERS,
    budget_rows,
    group_picture,
    highlight_sources,
    render_budget,
    render_groups,
    render_merge_steps,
    render_similarity,
    render_sources,
    render_timeline,
    render_tome_groups,
)
from lib.methods.token_merging.result import TokenMergingResult, ToMeEncoderResult
from lib.methods.token_merging.segments import METRICS, SegmentMerge
from lib.methods.token_merging.task import (
    DEFAULT_MODEL,
    DEFAULT_SEGMENTS,
    default_frames,
    default_segments,
    encoder_choices,
    run_token_merging,
    time_estimate,
)

__all__ = ["export_token_merging", "token_merging_export_parts",
           "PRETRAINED_MODEL", "real_video_advice", "real_video_notice", "tome_real_video_notice",
           "BUDGET_HEADERS", "DEFAULT_MODEL", "METRICS", "SegmentMerge", "ToMeEncoderResult", "TokenMergingResult",
           "budget_rows",
           "encoder_choices", "group_picture", "highlight_sources", "render_budget", "render_groups",
           "render_merge_steps", "render_similarity", "render_sources", "render_timeline", "render_tome_groups",
           "run_tome_encoder", "run_token_merging", "default_frames", "default_segments", "time_estimate",
           "DEFAULT_SEGMENTS"]
