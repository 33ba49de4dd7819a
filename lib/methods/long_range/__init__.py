"""Long range (ViS4mer, Islam & Bertasius, ECCV 2022): an S4 decoder vs its self-attention twin on long videos.

Usage map (the Gradio tab and notebooks/long_range.ipynb import only from here):

    result = run_long_range(video_or_None, seed=..., num_frames=..., budget_mb=...)  # -> LongRangeResult
    render_prediction(result)              class probabilities of both decoders, where the answer came from
    render_attention_vs_kernels(result, channels=[...], query_frame=...)  S4 kernels next to attention rows
    render_receptive_fields(result)        seconds holding 90% of each kernel / attention row
    render_stages(result), stage_rows(result)   the decoder's sequence length stage by stage (figure, table)
    render_filmstrip(result)               (h, W, 3) uint8 strip of sampled frames

    curves = run_cost_curves(longest=..., dim=..., heads=..., budget_mb=...)  # -> CostCurves, measured now
    render_cost_curves(curves)             log-log time and peak memory of one S4D vs one attention layer
    cost_summary(curves)                   markdown: where attention leaves the budget, the ratios at the end

    S4D by hand: s4d_lin_init, discretize_zoh, kernel_of, with_step, s4d_convolution, s4d_recurrence,
    memory_length (s4_kernel.py); render_kernels draws (H, L) kernels.
    Attention memory before running it: predict_attention_bytes, check_attention_fits (cost_curves.py).

Where things live: task.py (run_*), result.py (result types), render.py (every figure), model.py and
s4_layer.py / s4_kernel.py (the decoders and the S4D math), frame_encoder.py, data.py (the toy counting task),
cost_curves.py / cost_measure.py (live cost measurement), training.py (scripts/train_long_range.py's parts).
    real_video_notice(video, model) -> str | None   the one line on a real clip under a toy model
    export_long_range(result, folder, settings={...}, clip=path, curves=curves)  # Download zip
"""
from lib.methods.long_range.cost_curves import CostCurves, check_attention_fits, predict_attention_bytes
from lib.methods.long_range.data import COUNT_LABELS, NUM_FRAMES
from lib.methods.long_range.export import export_long_range, long_range_export_parts
from lib.methods.long_range.notice import real_video_notice
from lib.methods.long_range.render import (
    cost_summary,
    render_attention_vs_kernels,
    render_cost_curves,
    render_filmstrip,
    render_kernels,
    render_prediction,
    render_receptive_fields,
    render_stages,
    stage_rows,
)
from lib.methods.long_range.result import DecoderRun, LongRangeResult
from lib.methods.long_range.s4_kernel import (
    discretize_zoh,
    kernel_of,
    memory_length,
    s4d_convolution,
    s4d_lin_init,
    s4d_recurrence,
    with_step,
)
from lib.methods.long_range.task import MAX_TOY_FRAMES, attention_span, run_cost_curves, run_long_range

__all__ = [
    "export_long_range", "long_range_export_parts",

    "real_video_notice",
    "COUNT_LABELS", "MAX_TOY_FRAMES", "NUM_FRAMES", "CostCurves", "DecoderRun", "LongRangeResult", "attention_span",
    "check_attention_fits", "cost_summary", "discretize_zoh", "kernel_of", "memory_length", "predict_attention_bytes",
    "render_attention_vs_kernels", "render_cost_curves", "render_filmstrip", "render_kernels", "render_prediction",
    "render_receptive_fields", "render_stages", "run_cost_curves", "run_long_range", "s4d_convolution",
    "s4d_lin_init", "s4d_recurrence", "stage_rows", "with_step",
]
