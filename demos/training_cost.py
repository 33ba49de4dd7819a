"""Training-cost tab: what each efficient-training technique saves on one training step, measured live."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gradio as gr

from demos.common import bind, friendly_errors, require_video
from demos.gpu import gpu
from demos.stop import cancel_on, stop_button, stoppable
from lib.errors import UserInputError
from lib.methods.training_cost import (
    DATA_SOURCES,
    DEFAULT_TECHNIQUES,
    MEMORY_MEASURES,
    PARALLEL_HEADERS,
    TABLE_HEADERS,
    export_training_cost,
    iter_training_cost,
    parallel_table,
    render_training_cost,
    run_data_parallel,
    technique_choices,
)

INTRO = """### Training cost: the survey's techniques, measured on one training step
*A Survey on Efficient Training of Transformers* (Zhuang et al., IJCAI 2023) sorts the tricks into computation
efficiency, memory efficiency and hardware co-design. Here a small ViViT-style video transformer trains a few
steps under each technique you tick (and under the combination you pick), from the same weights on the same
batch: time per step, peak tensor memory and the loss. Each recipe's memory is **predicted before anything runs**;
a recipe over the budget is refused. Memory is PyTorch's CPU allocator read through the profiler (the CPU
counterpart of the CUDA allocator's peak), so every recipe starts from zero; recipes train in turns so they
share whatever load the machine has."""

MEASURE_CHOICES = [(f"{label}", key) for key, label in MEMORY_MEASURES.items()]


@dataclass(frozen=True)
class TrainingCostView:
    """The components the main action fills (built in build_tab; the handler yields {component: value})."""

    cached: gr.State
    info: gr.State
    taxonomy: gr.Plot
    bars: gr.Plot
    losses: gr.Plot
    table: gr.Dataframe
    summary: gr.Markdown

    def outputs(self) -> list:
        return [self.cached, self.info, self.taxonomy, self.bars, self.losses, self.table, self.summary]


def _clip_for(video, data: str):
    """The chosen clip when the data is "chosen clip" (the one no-clip guard), else None: the toy world."""
    return require_video(video) if data == DATA_SOURCES[1] else None


@gpu(duration_s=120)  # the baseline, each ticked technique and the combination, each for `steps` steps
def compute_steps(clip: str | None, data: str, techniques: tuple[str, ...], combination: tuple[str, ...],
                  keep_ratio: float, micro_batches: int, lora_rank: int, batch_size: int, num_frames: int,
                  image_size: int, dim: int, depth: int, steps: int, budget_mb: float):
    """The training steps (a ZeroGPU call on a ZeroGPU Space; a generator): plain values in, each picklable
    TrainingCostResult out as soon as it is measured."""
    yield from iter_training_cost(
        clip, data=data, techniques=techniques, combination=combination, keep_ratio=keep_ratio,
        micro_batches=micro_batches, lora_rank=lora_rank, batch_size=batch_size, num_frames=num_frames,
        image_size=image_size, dim=dim, depth=depth, heads=max(1, dim // 32), steps=steps, budget_mb=budget_mb)


@stoppable  # Gradio stops a generator between yields; this also ends the step running when Stop is pressed
@friendly_errors  # not @video_handler: with the toy-world batch, no clip (None) is a valid first input
def measure_training_cost(video: str | None, data: str, techniques: list[str], combination: list[str],
                          keep_ratio: float, micro_batches: float, lora_rank: float, batch_size: float,
                          num_frames: int, image_size: int, width: int, depth: float, steps: float, budget_mb: float,
                          measure: str, parallel=(), progress: gr.Progress = gr.Progress(), *,
                          view: TrainingCostView):
    """Training cost tab (efficient transformer training survey, IJCAI 2023): train a small video transformer for
    a few steps in fp32 and under each chosen technique, measuring time, memory and loss live
    (api_name="training_cost"; a generator: results arrive recipe by recipe).

    Args:
        video: the chosen video file; used only when data is "chosen clip" (may be empty otherwise).
        data: "toy-world batch" (toy clips with action labels) or "chosen clip" (augmented views of the video).
        techniques: each alone vs fp32: bf16, checkpointing, token_drop, freeze, lora, grad_accum, fused_attention.
        combination: techniques measured together (2 or more of the same keys; [] for none).
        keep_ratio: token dropping: share of the tokens kept, 0.1 to 0.9 (0.5 by default).
        micro_batches: gradient accumulation: micro-batches per step, 2 to 8 (2 by default).
        lora_rank: the rank of the LoRA adapters, 1 to 32 (4 by default).
        batch_size: clips per batch, 1 to 16 (2 by default).
        num_frames: frames per clip: 4, 8 (default) or 16.
        image_size: frame size in pixels: 32, 48, 64 (default) or 96.
        width: the model's width: 64, 128 (default) or 192 (heads = width / 32).
        depth: transformer blocks, 2 to 8 (4 by default).
        steps: training steps per recipe, 2 to 12 (3 by default).
        budget_mb: memory budget, 8 to 4096 MB (1024 by default); recipes predicted to need more are refused.
        measure: the memory shown in bars and taxonomy: "peak" (tensors), "activations" (stored) or "step" (peak).
    Returns:
        the taxonomy of techniques annotated with the measurements, time and memory bars relative to fp32, the loss
        curves, the measurement table and a summary.
    """
    width = int(width)
    clip = _clip_for(video, data)
    info = {"settings": {"data": data, "techniques": list(techniques or ()), "combination": list(combination or ()),
                         "keep_ratio": float(keep_ratio), "micro_batches": int(micro_batches),
                         "lora_rank": int(lora_rank), "batch_size": int(batch_size), "num_frames": int(num_frames),
                         "image_size": int(image_size), "width": width, "depth": int(depth), "steps": int(steps),
                         "budget_mb": float(budget_mb)}, "clip": clip}
    for result in compute_steps(clip, data, tuple(techniques or ()), tuple(combination or ()), float(keep_ratio),
                                int(micro_batches), int(lora_rank), int(batch_size), int(num_frames),
                                int(image_size), width, int(depth), int(steps), float(budget_mb)):
        progress(result.fraction, desc=result.progress)
        taxonomy, bars, losses, table, summary = render_training_cost(result, measure=measure,
                                                                      parallel=parallel or ())
        yield {view.cached: result, view.info: info, view.taxonomy: taxonomy, view.bars: bars, view.losses: losses,
               view.table: table, view.summary: summary}


def rerender(result, measure, parallel):
    """Handler: switch the memory measure from the cached results; never re-runs a step."""
    if result is None and not parallel:
        return gr.skip(), gr.skip()
    taxonomy, bars, _, _, _ = render_training_cost(result, measure=measure, parallel=parallel or ())
    return taxonomy, (bars if bars is not None else gr.skip())


@stoppable
@friendly_errors
def measure_parallel(video: str | None, data: str, batch_size: float, num_frames: int, image_size: int, width: int,
                     depth: float, result, measure: str, progress: gr.Progress = gr.Progress()):
    """Training cost tab, data parallel vs ZeRO-1: two gloo processes on this machine's CPU each train a replica on
    half the batch, with and without ZeRO-1 sharding of AdamW's state (api_name="training_cost_parallel").

    Not a ZeroGPU call: the two processes use gloo on the CPU.

    Args:
        video: the chosen video file; used only when data is "chosen clip" (may be empty otherwise).
        data: "toy-world batch" (toy clips with action labels) or "chosen clip" (augmented views of the video).
        batch_size: clips per batch (both processes together), 1 to 16 (2 by default).
        num_frames: frames per clip: 4, 8 (default) or 16.
        image_size: frame size in pixels: 32, 48, 64 (default) or 96.
        width: the model's width: 64, 128 (default) or 192 (heads = width / 32).
        depth: transformer blocks, 2 to 8 (4 by default).
        measure: the memory shown in the taxonomy: "peak" (tensors), "activations" (stored) or "step" (peak).
    Returns:
        the per-process table (time, parameter, gradient and optimiser memory) and the taxonomy with its leaf annotated.
    """
    progress(0.1, desc="starting 2 gloo processes for plain data parallelism, then for ZeRO-1 ...")
    width = int(width)
    parallel = run_data_parallel(_clip_for(video, data), data=data, batch_size=int(batch_size),
                                 num_frames=int(num_frames), image_size=int(image_size), dim=width, depth=int(depth),
                                 heads=max(1, width // 32))
    progress(0.9, desc="annotating the taxonomy")
    taxonomy, _, _, _, _ = render_training_cost(result, measure=measure, parallel=parallel)
    return parallel, parallel_table(parallel), taxonomy


@friendly_errors
def download(result, info, parallel, measure, progress=gr.Progress()):
    """Handler (api_name="training_cost_download"): the cached measurements -> training_cost.zip (figures, table,
    arrays, manifest.json; data parallel when measured); nothing re-runs. The folder goes once Gradio copied it."""
    if result is None and not parallel:
        raise UserInputError("Measure first, then download.")
    progress(0.2, desc="writing figures, tables and arrays into one zip")
    with tempfile.TemporaryDirectory(prefix="training-cost-export-") as folder:
        yield str(export_training_cost(result, folder, measure=measure, parallel=tuple(parallel or ()),
                                       **(info or {})))


def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared chooser (a path or None)."""
    gr.Markdown(INTRO)
    cached, info = gr.State(None), gr.State(None)
    cached_parallel = gr.State(())
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=320):
            data = gr.Radio(list(DATA_SOURCES), value=DATA_SOURCES[0], label="Data",
                            info="toy-world clips with their action labels, or augmented views of the chosen clip")
            techniques = gr.CheckboxGroup(technique_choices(), value=list(DEFAULT_TECHNIQUES),
                                          label="Techniques (each measured alone against the fp32 baseline)")
            combination = gr.CheckboxGroup(technique_choices(), value=["bf16", "checkpointing", "token_drop"],
                                           label="Combination (measured together; pick 2 or more)")
            with gr.Accordion("Technique settings", open=False):
                keep_ratio = gr.Slider(0.1, 0.9, value=0.5, step=0.05, label="Token dropping: share of tokens kept")
                micro_batches = gr.Slider(2, 8, value=2, step=1, label="Gradient accumulation: micro-batches")
                lora_rank = gr.Slider(1, 32, value=4, step=1, label="LoRA rank")
            with gr.Accordion("Model, batch and budget", open=False):
                batch_size = gr.Slider(1, 16, value=2, step=1, label="Clips per batch")
                num_frames = gr.Dropdown([4, 8, 16], value=8, label="Frames per clip")
                image_size = gr.Dropdown([32, 48, 64, 96], value=64, label="Frame size (pixels)")
                width = gr.Dropdown([64, 128, 192], value=128, label="Model width (heads = width / 32)")
                depth = gr.Slider(2, 8, value=4, step=1, label="Transformer blocks")
                steps = gr.Slider(2, 12, value=3, step=1, label="Training steps per recipe")
                budget_mb = gr.Slider(8, 4096, value=1024, step=8, label="Memory budget (MB)",
                                      info="recipes predicted to need more are refused before running")
            with gr.Row():
                run = gr.Button("Measure", variant="primary", elem_id="training-cost-run")
                stop = stop_button("training-cost-stop")
        with gr.Column(scale=2):
            summary = gr.Markdown("Press **Measure**: the fp32 baseline, each ticked technique and the combination "
                                  "train in turns; figures appear as the memory of each recipe is measured.",
                                  elem_id="training-cost-summary")
            measure = gr.Radio(MEASURE_CHOICES, value="peak", label="Memory shown in the bars and the taxonomy")
            bars = gr.Plot(label="Time and memory relative to the baseline", elem_id="training-cost-bars")
            taxonomy = gr.Plot(render_training_cost(None)[0], label="Taxonomy (hover a leaf)",
                               elem_id="training-cost-taxonomy")
            losses = gr.Plot(label="Loss curves", elem_id="training-cost-losses")
            table = gr.Dataframe(headers=TABLE_HEADERS, label="Measurements", interactive=False,
                                 elem_id="training-cost-table")
            with gr.Accordion("Data parallel and ZeRO (2 processes on this machine)", open=False):
                gr.Markdown("Two gloo processes each train a full replica on half the batch; gradients are "
                            "averaged. With ZeRO-1 each process keeps AdamW's state for only its shard of the "
                            "parameters. Both processes share this machine's cores, so this shows memory per "
                            "process, not a speed-up. Uses the model and batch settings on the left.")
                with gr.Row():
                    parallel_run = gr.Button("Measure data parallel vs ZeRO-1", elem_id="training-cost-parallel-run")
                    parallel_stop = stop_button("training-cost-parallel-stop")
                parallel_view = gr.Dataframe(headers=PARALLEL_HEADERS, label="Per process", interactive=False,
                                             elem_id="training-cost-parallel")
            with gr.Row():
                download_button = gr.Button("Download (zip)", scale=0,
                                            elem_id="training-cost-download")
                bundle = gr.File(label="Download", elem_id="training-cost-bundle")
    view = TrainingCostView(cached, info, taxonomy, bars, losses, table, summary)
    event = run.click(bind(measure_training_cost, view),
                      inputs=[video, data, techniques, combination, keep_ratio, micro_batches, lora_rank, batch_size,
                              num_frames, image_size, width, depth, steps, budget_mb, measure, cached_parallel],
                      outputs=view.outputs(), api_name="training_cost")
    parallel_event = parallel_run.click(
        measure_parallel, inputs=[video, data, batch_size, num_frames, image_size, width, depth, cached, measure],
        outputs=[cached_parallel, parallel_view, taxonomy], api_name="training_cost_parallel")
    cancel_on(stop, event, parallel_event)
    cancel_on(parallel_stop, parallel_event)
    download_button.click(download, inputs=[cached, info, cached_parallel, measure], outputs=bundle,
                          api_name="training_cost_download", api_visibility="undocumented")
    measure.change(rerender, inputs=[cached, measure, cached_parallel], outputs=[taxonomy, bars],
                   api_visibility="private")
