"""What the Token merging tab's Download holds: the views as the main action opens them (and ToMe inside
the encoder when it was run), the results' arrays and numbers.

    path = export_token_merging(result, folder, settings={...}, clip="clip.mp4", tome=tome_result)
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.token_merging.render import (
    BUDGET_HEADERS,
    budget_rows,
    render_budget,
    render_groups,
    render_merge_steps,
    render_similarity,
    render_sources,
    render_timeline,
    render_tome_groups,
)
from lib.methods.token_merging.result import TokenMergingResult, ToMeEncoderResult


def token_merging_export_parts(result: TokenMergingResult, *, settings: dict | None = None,
                               clip: str | Path | None = None, tome: ToMeEncoderResult | None = None
                               ) -> ExportParts:
    """The zip's parts: segment 1, token 0, last merge step (as the tab opens); ToMe's when `tome` is given."""
    last = len(result.segments[0].counts) - 1
    numbers = {"raw_tokens": result.raw_tokens, "merged_tokens": result.merged_tokens,
               "budgets": {"headers": BUDGET_HEADERS, "rows": budget_rows(result)}, "timings": result.timings,
               "segment_similarity": result.similarity}
    pictures = {"sources_segment1_token0": render_sources(result, 0, 0),
                "groups_segment1": render_groups(result, 0, last)}
    texts = {"summary.md": result.summary()}
    arrays = {"result": arrays_of(result)}
    if tome is not None:
        pictures["tome_groups"] = render_tome_groups(tome)
        numbers["tome"] = {"r": tome.r, "tokens_per_block": tome.tokens_per_block, "gflops_plain": tome.gflops_plain,
                           "gflops_tome": tome.gflops_tome, "seconds_plain": tome.seconds_plain,
                           "seconds_tome": tome.seconds_tome, "classes_plain": tome.classes_plain,
                           "classes_tome": tome.classes_tome}
        texts["tome_summary.md"] = tome.summary()
        arrays["tome"] = arrays_of(tome)
    return ExportParts(
        tab="token_merging", models=(result.model_name,), settings={**(settings or {}), "metric": result.metric},
        numbers=numbers, clip=clip, pictures=pictures,
        figures={"timeline": render_timeline(result, 0, 0), "merge_steps": render_merge_steps(result, 0, last),
                 "budget": render_budget(result), "similarity": render_similarity(result)},
        arrays=arrays, texts=texts)


def export_token_merging(result: TokenMergingResult, folder: str | Path, *, settings: dict | None = None,
                         clip: str | Path | None = None, tome: ToMeEncoderResult | None = None) -> Path:
    """Write the Token merging tab's zip into `folder`; returns its path (folder/token_merging.zip)."""
    return write_export(token_merging_export_parts(result, settings=settings, clip=clip, tome=tome), folder)
