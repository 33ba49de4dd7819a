"""Tubes (TubeViT, Piergiovanni et al., CVPR 2023): sparse tube tokens, where they sample, what they save.

The face of the method: the Tubes tab, its notebook and the Tubes comparison import only from here.

    result = run_tubes("clip.mp4", model_name=DEFAULT_MODEL)  # path or Clip -> TubesResult (model + paper tubes)
    result = run_tubes_on_frames(frames)                       # (T, H, W, 3) uint8 frames already in memory
    result = update_tubes(result, [[kernel, stride, offset]])  # other analysed tubes; the model is not re-run
    count_tube_flops(result)                                   # forward GFLOPs of the model on its input

    render_summary(result)                            # Markdown: token counts, GFLOPs, the prediction
    render_prediction(result)                         # top-5 classes, pooling heat maps, weight per tube
    render_kernels(result) / render_kernel_sheet(result) / render_kernel_animation(result) / write_kernel_gif(result)
    render_sampling(result, frame, token)             # the boxes each tube reads on one frame
    render_volume(result); render_position(result, token); render_costs(result)
    pooling_heat(layout, weights, frame)              # (H, W) pooling weight per pixel (used by the comparison)
    describe_scaled_tubes(32, 48, 48, 0.5)            # the paper's tubes scaled to another clip, as text
    real_video_notice(video, model)                   # the one line on a real clip under a toy model
    real_video_advice(video, model)                   # ... plus the one-click switch to PRETRAINED_MODEL

Inside: geometry.py (tube layouts), position.py (sin-cos codes), kernels.py (kernel inflation, colouring),
cost.py (token and FLOP counts), model.py / hub.py (TubeViT, TubeViT-B from a ViT-B/16), task.py (run_*),
result.py (TubesResult), render.py + render_images.py (pictures), data.py + training.py (the training script's).
    export_tubes(result, folder, settings={...}, clip=path)  # Download zip
"""
from lib.methods.tubes.ablation import ablation_markdown
from lib.methods.tubes.cost import EncoderSize, TokeniserCost, compare_tokenisers
from lib.methods.tubes.export import export_tubes, tubes_export_parts
from lib.methods.tubes.geometry import (
    PAPER_INPUT,
    PAPER_TUBES,
    TubeLayout,
    TubeSpec,
    dense_tubelets,
    scale_tubes,
    tube_layout,
)
from lib.methods.tubes.notice import PRETRAINED_MODEL, real_video_advice, real_video_notice
from lib.methods.tubes.render import (
    describe_scaled_tubes,
    render_costs,
    render_kernel_animation,
    render_kernel_sheet,
    render_kernels,
    render_position,
    render_prediction,
    render_sampling,
    render_summary,
    render_volume,
    write_kernel_gif,
)
from lib.methods.tubes.render_images import pooling_heat, tube_colour
from lib.methods.tubes.result import TubesResult
from lib.methods.tubes.task import (
    DEFAULT_MODEL,
    TUBE_MODELS,
    count_tube_flops,
    load_tube_model,
    run_tubes,
    run_tubes_on_frames,
    update_tubes,
)

__all__ = [
    "ablation_markdown",
    "export_tubes", "tubes_export_parts",

    "PRETRAINED_MODEL", "real_video_advice", "real_video_notice",
    "DEFAULT_MODEL", "PAPER_INPUT", "PAPER_TUBES", "TUBE_MODELS", "EncoderSize", "TokeniserCost", "TubeLayout",
    "TubeSpec", "TubesResult", "compare_tokenisers", "count_tube_flops", "dense_tubelets", "describe_scaled_tubes",
    "load_tube_model", "pooling_heat", "render_costs", "render_kernel_animation", "render_kernel_sheet",
    "render_kernels", "render_position", "render_prediction", "render_sampling", "render_summary", "render_volume",
    "run_tubes", "run_tubes_on_frames", "scale_tubes", "tube_colour", "tube_layout", "update_tubes",
    "write_kernel_gif",
]
