"""Per-block attention statistics of blocks whose maps are not kept: read during the forward pass, then dropped.

    with summarise_blocks(model, {index: block, ...}, grid) as found:   # indices into find_attention_modules
        model(...)
    found[block]  # LayerStats of that block (distance in space and time, entropy; per head)

V-JEPA 2's 24 blocks hold 16 maps of 2,048^2 each (3.2 GB in fp16 for all): the tab keeps the maps of a few blocks
for the query views, but its distance/entropy curve covers every block, computed from each map where the forward
runs (on the GPU there) and reduced to a few numbers per head before the next block starts.
Only forward passes of the thread that opened the block are read (loaded models are shared by sessions).
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping

import torch

from lib.hooks import TokenGrid, find_attention_modules
from lib.methods.attention.stats import LayerStats, global_stats_of


@contextlib.contextmanager
def summarise_blocks(model: torch.nn.Module, blocks: Mapping[int, int], grid: TokenGrid
                     ) -> Iterator[dict[int, LayerStats]]:
    """Hook the attention modules `blocks` ({index in find_attention_modules: block}) of a model with one global map
    per block (heads, N, N); yields {block: LayerStats}, filled as the forward runs. Hooks are removed on exit."""
    targets = find_attention_modules(model)
    found: dict[int, LayerStats] = {}
    owner = threading.get_ident()
    handles = []

    def make_hook(name: str, block: int):
        def hook(module: torch.nn.Module, args, output) -> None:
            weights = output[1] if isinstance(output, (tuple, list)) and len(output) > 1 else None
            if threading.get_ident() != owner or not isinstance(weights, torch.Tensor) or weights.dim() != 4:
                return
            with torch.no_grad():
                spatial, temporal, entropy = global_stats_of(weights[0].detach(), grid)
            found[block] = LayerStats(name, "global", spatial, temporal, entropy)

        return hook

    try:
        for index, block in blocks.items():
            name, module = targets[index]
            handles.append(module.register_forward_hook(make_hook(name, block)))
        yield found
    finally:
        for handle in handles:
            handle.remove()
