"""The shared video chooser's overview of a clip (not a tab of its own): what the user picked, at a glance.

example_thumbnails() -> [(Example, frame)]           the example gallery: each bundled clip with one frame
run_overview(video) -> VideoOverview                 a few uniformly sampled frames + the container's facts
render_overview(overview) -> (h, W, 3) uint8          the filmstrip, each frame labelled with its time
VideoOverview.facts() -> [[fact, value]]             rows for the facts table
render_ground_truth(frames, semantic, flow, t)       a toy clip's frame | class map | flow (notebooks)
"""
from lib.methods.overview.render import render_ground_truth, render_overview
from lib.methods.overview.task import VideoOverview, example_thumbnails, run_overview

__all__ = ["VideoOverview", "example_thumbnails", "render_ground_truth", "render_overview", "run_overview"]
