"""Recording one model's attention on one clip, safely: only the layers asked for, fp16, within a budget.

`record_view(model, family, pixel_values, ...)` -> ModelView works for the project's STPT models
(attention found through AttentionProbe) and for transformers' VideoMAE / TimeSformer / V-JEPA 2 loaded with
eager attention and DINOv2 run on every frame (families.py); the token geometry comes from the model's own
config, never from its name.

"Layers" the user picks are blocks (attention_blocks): one attention module per block in STPT and VideoMAE,
two in TimeSformer (divided space-time: time then space), of which `parts` keeps both, "time" or "space".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lib.errors import UserInputError
from lib.hooks import count_flops, find_attention_modules, record_attention
from lib.methods.attention.families import (
    FAMILIES,
    FRAME_FAMILIES,
    TUBELET_FAMILIES,
    block_of_module,
    call_model,
    eager_attention,
    fused_except,
    logits_of,
    token_grid,
)
from lib.methods.attention.maps import LayerAttention
from lib.methods.attention.rollout import attention_rollout
from lib.methods.attention.stats import LayerStats, layer_stats
from lib.methods.attention.summaries import summarise_blocks
from lib.models.precision import inference_precision, model_device

MAX_RECORD_BYTES = 1_500_000_000  # attention maps kept per view (fp16); VideoMAE-B, 16 frames, all layers: 0.7 GB
# (V-JEPA 2, 16 frames: 134 MB a block, 3.2 GB for all 24, so its tab records a few blocks by default)
PARTS = ("both", "time", "space")  # which maps of a divided space-time block to record


@dataclass(frozen=True)
class ModelView:
    """One model's attention on one clip (batch of one).

    layers:       recorded attention maps in execution order (see LayerAttention for the layouts).
    layer_ids:    index of each map's module in find_attention_modules(model).
    blocks:       block of each map (the "layers" the user picks; TimeSformer has a time and a space map per block).
    stats:        distance / entropy per recorded layer.
    rollout:      (N_last, N_first) rollout through the recorded layers, rows sum to 1; None if not asked.
    gflops:       forward GFLOPs of one clip (FlopCounterMode: a multiply-add counts 2; gmacs = gflops / 2).
    record_bytes: bytes of the recorded maps (fp16).
    logits:       model output kept for predictions (classification: (classes,); STPT: None).
    precision:    what the forward computed in: "float32" (the bundled STPT) or what lib.models.precision chose for
                  a pretrained model ("bfloat16" on CPUs that compute it natively).
    block_stats:  with summarise: the stats of every block in order (recorded ones and those read and dropped,
                  summaries.py), at stats_blocks; () otherwise (the plot then uses `stats`).
    """

    model_name: str
    family: str
    layers: tuple[LayerAttention, ...]
    layer_ids: tuple[int, ...]
    stats: tuple[LayerStats, ...]
    rollout: np.ndarray | None
    gflops: float
    record_bytes: int
    logits: np.ndarray | None = None
    blocks: tuple[int, ...] = ()
    precision: str = "float32"
    block_stats: tuple[LayerStats, ...] = ()
    stats_blocks: tuple[int, ...] = ()

    @property
    def gmacs(self) -> float:
        """Forward multiply-accumulates (G): what papers print as GFLOPs."""
        return self.gflops / 2

    def block_of(self, position: int) -> int:
        """Block of recorded map `position` (its module index when blocks are unknown)."""
        return self.blocks[position] if self.blocks else self.layer_ids[position]


def estimate_record_bytes(model: torch.nn.Module, family: str, num_frames: int, size: int,
                          layers: Sequence[int]) -> int:
    """Bytes of the fp16 maps `record_view` would keep when recording `layers` (indices into
    find_attention_modules(model)), computed from the geometry before anything runs."""
    if family == "stpt":
        total = 0
        for index in layers:
            g = model.geometry[index]
            keys = int(np.prod(g.window)) if g.window else g.grid.num_tokens
            total += g.grid.num_cells * keys * model.stages[g.stage][0].attn.heads * 2
        return total
    grid = token_grid(model, family, num_frames, size)
    heads = int(model.config.num_attention_heads)
    if family in TUBELET_FAMILIES:
        return len(layers) * heads * grid.num_tokens ** 2 * 2
    if family in FRAME_FAMILIES:
        return len(layers) * grid.t * heads * (1 + grid.h * grid.w) ** 2 * 2
    space = grid.t * heads * (1 + grid.h * grid.w) ** 2 * 2
    time = grid.h * grid.w * heads * grid.t ** 2 * 2
    return len(layers) * max(space, time)


def attention_blocks(model: torch.nn.Module, family: str) -> list[tuple[tuple[int, str], ...]]:
    """Per block, in model order: (index in find_attention_modules(model), part) of each of its attention maps.

    part: "local"/"global" (STPT, one module per block), "global" (VideoMAE, V-JEPA 2), "time"/"space"
    (TimeSformer), "space" (DINOv2's per-frame maps). transformers' blocks are read from the module path
    (`...layer.<block>....`; families.block_of_module), STPT's from its geometry.
    """
    modules = find_attention_modules(model)
    if family == "stpt":
        return [((i, model.geometry[i].kind),) for i in range(len(modules))]
    grouped: dict[int, list[tuple[int, str]]] = {}
    for i, (name, _) in enumerate(modules):
        found = block_of_module(family, name, i)
        if found is not None:
            grouped.setdefault(found[0], []).append((i, found[1]))
    return [tuple(sorted(grouped[b], key=lambda item: item[1] != "time")) for b in sorted(grouped)]


def choose_modules(model: torch.nn.Module, family: str, layers: Sequence[int] | None, parts: str = "both"
                   ) -> tuple[list[int], dict[int, int]]:
    """Module indices to record for blocks `layers` (None = all; negative counts from the end) and `parts`,
    and the block of each. Raises UserInputError for blocks out of range or an unknown part."""
    blocks = attention_blocks(model, family)
    total = len(blocks)
    if parts not in PARTS:
        raise UserInputError(f"Record {', '.join(PARTS)} of divided attention, not {parts!r}.")
    if layers is not None and any(not -total <= layer < total for layer in layers):
        raise UserInputError(f"This model has attention layers 0..{total - 1} (its blocks); pick layers in that range.")
    chosen = sorted({layer % total for layer in layers}) if layers is not None else list(range(total))
    if not chosen:
        raise UserInputError("Pick at least one attention layer to record.")
    picked = {i: b for b in chosen for i, part in blocks[b] if parts == "both" or part == parts or
              family != "timesformer"}
    return sorted(picked), picked


def _check_budget(needed: int, budget: int, count: int) -> None:
    if needed > budget:
        raise UserInputError(
            f"Recording {count} attention layers would need {needed / 1e9:.1f} GB of attention maps, more than the "
            f"{budget / 1e9:.1f} GB allowed; pick fewer layers or fewer frames.")


def _to_layers(model: torch.nn.Module, family: str, rec, num_frames: int, size: int) -> list[LayerAttention]:
    layers = []
    for index, name, maps in zip(rec.layer_indices, rec.layer_names, rec.maps):
        maps = maps.numpy()
        if family == "stpt":
            g = model.geometry[index]
            layer = LayerAttention(name, g.kind, g.grid, maps if g.window else maps[0], g.window)
        elif family in TUBELET_FAMILIES:
            layer = LayerAttention(name, "global", token_grid(model, family, num_frames, size), maps[0])
        else:  # TimeSformer's time / space maps; DINOv2's per-frame maps have the space layout
            kind = "time" if ".temporal_attention." in name else "space"
            layer = LayerAttention(name, kind, token_grid(model, family, num_frames, size), maps)
        layers.append((index, layer))
    if family == "timesformer":  # registered space-then-time, but each layer runs time first
        layers.sort(key=lambda item: (item[1].name.split(".layer.")[1].split(".")[0].zfill(4), item[1].kind != "time"))
    return layers


def record_view(model: torch.nn.Module, family: str, pixel_values: torch.Tensor, *, name: str = "",
                layers: Sequence[int] | None = None, parts: str = "both", rollout: bool = True,
                max_record_bytes: int = MAX_RECORD_BYTES, summarise: bool = False) -> ModelView:
    """Run `model` once on pixel_values (1, T, 3, S, S) and record the attention of blocks `layers` (None = all).

    family: one of families.FAMILIES; parts: "both", "time" or "space" maps of TimeSformer's
    divided blocks (ignored elsewhere). Refuses (UserInputError) before running when the maps would exceed
    `max_record_bytes`. Rollout runs through the recorded maps in order. summarise (models with one global map per
    block): every other block's distance and entropy are read during the forward too and its maps dropped (their
    few-MFLOP reductions run inside the FLOP count: +0.3 % on V-JEPA 2's 1,870 GFLOPs).
    """
    if family not in FAMILIES:
        raise UserInputError(f"Attention views support {', '.join(FAMILIES)} models, not {family!r}.")
    num_frames, size = int(pixel_values.shape[1]), int(pixel_values.shape[-1])
    chosen, block_of = choose_modules(model, family, layers, parts)
    _check_budget(estimate_record_bytes(model, family, num_frames, size, chosen), max_record_bytes, len(chosen))
    outputs = []
    used = []

    def forward() -> None:
        if family == "stpt":  # the bundled model: float32, as trained and as the regression test records it
            with torch.no_grad():
                outputs.append(model(pixel_values))
            used.append("float32")
            return
        with inference_precision(model_device(model)) as precision, eager_attention(model), \
                fused_except(model, kept_eager):
            outputs.append(call_model(model, family, pixel_values))
        used.append(precision.name)

    others = {}
    if summarise and family in TUBELET_FAMILIES:
        others = {i: b for b, maps in enumerate(attention_blocks(model, family)) for i, _ in maps if i not in block_of}
    modules = [module for _, module in find_attention_modules(model)]
    kept_eager = modules if others else [modules[i] for i in chosen]  # summarised blocks need their maps too
    grid = token_grid(model, family, num_frames, size) if family != "stpt" else None
    with record_attention(model, layers=chosen, dtype=torch.float16) as rec, \
            summarise_blocks(model, others, grid) as summarised:
        flops = count_flops(forward)  # one pass: counted, recorded (and summarised) together
    output = outputs[0]
    ordered = _to_layers(model, family, rec, num_frames, size)
    layer_list = tuple(layer for _, layer in ordered)
    raw_logits = None if family == "stpt" else logits_of(family, output)
    logits = None if raw_logits is None else raw_logits.detach().float().cpu().numpy()  # off the GPU where it ran
    stats = tuple(layer_stats(layer) for layer in layer_list)
    every = dict(summarised) | {block_of[i]: s for (i, _), s in zip(ordered, stats)} if others else {}
    return ModelView(
        model_name=name, family=family, layers=layer_list, layer_ids=tuple(i for i, _ in ordered),
        stats=stats, block_stats=tuple(every[b] for b in sorted(every)), stats_blocks=tuple(sorted(every)),
        rollout=attention_rollout(layer_list) if rollout else None, gflops=flops.gflops,
        record_bytes=sum(layer.nbytes for layer in layer_list), logits=logits,
        blocks=tuple(block_of[i] for i, _ in ordered), precision=used[0])
