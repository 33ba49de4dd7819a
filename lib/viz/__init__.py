"""Pure, deterministic visualisers: arrays in, uint8 images (H, W, 3) or plotly figures out. No I/O."""
from lib.viz.draw import draw_boxes, draw_grid
from lib.viz.flow import colour_wheel, flow_to_rgb
from lib.viz.layout import filmstrip, filmstrip_positions, put_label, resize_to_height, tile
from lib.viz.overlay import blend_heat, colourise, mask_borders, overlay_heatmap, overlay_mask, resize_map
from lib.viz.palette import PALETTE, colour_for, hex_colour
from lib.viz.plots import PLOT_MARGIN, apply_plot_defaults

__all__ = [
    "PALETTE", "PLOT_MARGIN", "apply_plot_defaults", "blend_heat", "colour_for", "colour_wheel", "colourise",
    "draw_boxes", "draw_grid", "filmstrip", "filmstrip_positions", "flow_to_rgb", "hex_colour",
    "mask_borders", "overlay_heatmap", "overlay_mask", "put_label", "resize_map", "resize_to_height", "tile",
]
