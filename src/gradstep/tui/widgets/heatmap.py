"""A heatmap in half blocks: each cell's '▀' shows two vertical pixels, the upper in the
foreground colour and the lower in the background colour, so a pixel is square.

The network's output over the plane of its two inputs is predicted in one vectorised call per
redraw; cells are merged into runs of equal colour and the styles are cached, so a redraw of a
120×36 pane costs a few milliseconds. A huge network is predicted on a coarser grid (at most
budget.MAX_FORWARD_WORK multiply-adds a redraw), each point then covering a block of pixels,
and the prediction goes in chunks of rows: a redraw never holds more than the screen needs.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from gradstep.budget import forward_points
from gradstep.tui.widgets.colors import (
    MAX_POINTS,
    domain,
    output_colors,
    pack,
    pick,
    target_colors,
)


def half_block_strips(top: np.ndarray, bottom: np.ndarray, cache: dict) -> list[Strip]:
    """One Strip per row of cells: '▀' in the upper pixel's colour on the lower pixel's,
    equal neighbouring cells merged into one segment. top, bottom: (rows, width) 0xRRGGBB."""
    keys = (top.astype(np.int64) << 24) | bottom
    width = keys.shape[1]
    strips = []
    for row in keys:
        cuts = np.flatnonzero(row[1:] != row[:-1]) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [width]])
        segments = []
        for start, end in zip(starts.tolist(), ends.tolist()):
            key = int(row[start])
            style = cache.get(key)
            if style is None:
                fg, bg = key >> 24, key & 0xFFFFFF
                style = Style(color=Color.from_rgb(fg >> 16, (fg >> 8) & 255, fg & 255),
                              bgcolor=Color.from_rgb(bg >> 16, (bg >> 8) & 255, bg & 255))
                cache[key] = style
            segments.append(Segment("▀" * (end - start), style))
        strips.append(Strip(segments, width))
    return strips



def grid_size(width: int, height: int, parameters: int) -> tuple[int, int]:
    """The grid of points a redraw predicts: every pixel, or fewer (same proportions) when a
    prediction of every pixel would take more than budget.MAX_FORWARD_WORK multiply-adds."""
    points = forward_points(parameters, width * height)
    if points >= width * height:
        return width, height
    scale = math.sqrt(points / (width * height))
    return max(2, min(width, int(width * scale))), max(2, min(height, int(height * scale)))


class HeatmapCanvas(Widget):
    """The network's output over the plane of its two inputs, training points on top."""

    DEFAULT_CSS = """
    HeatmapCanvas {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._trainer = None
        self._strips: list[Strip] = []
        self._styles: dict[int, Style] = {}
        self.pixels: np.ndarray | None = None   # (2·rows, width) 0xRRGGBB, for tests and reuse

    def show(self, trainer) -> None:
        self._trainer = trainer
        self._rebuild()

    def on_resize(self) -> None:
        if self._trainer is not None:
            self._rebuild()

    def _rebuild(self) -> None:
        width, rows = self.size.width, self.size.height
        trainer = self._trainer
        if width < 1 or rows < 1 or trainer is None:
            self._strips, self.pixels = [], None
            self.refresh()
            return
        data = trainer.raw_train
        both = np.concatenate([data.x, trainer.raw_test.x]) if len(trainer.raw_test) else data.x
        lo, hi = domain(both)
        height = 2 * rows
        grid_w, grid_h = grid_size(width, height, trainer.network.parameter_count())
        xs = lo[0] + (np.arange(grid_w) + 0.5) * (hi[0] - lo[0]) / grid_w
        ys = hi[1] - (np.arange(grid_h) + 0.5) * (hi[1] - lo[1]) / grid_h  # up is larger
        grid = np.empty((grid_h, grid_w, 2))
        grid[..., 0] = xs[None, :]
        grid[..., 1] = ys[:, None]
        out = trainer.predict(grid.reshape(-1, 2))
        colors = output_colors(np.asarray(out).reshape(grid_h * grid_w, -1), trainer)
        pixels = pack(colors).reshape(grid_h, grid_w)
        if (grid_w, grid_h) != (width, height):  # each point covers a block of pixels
            pixels = pixels[(np.arange(height) * grid_h // height)[:, None],
                            (np.arange(width) * grid_w // width)[None, :]]
        shown = pick(len(data.x), max(MAX_POINTS, 1))
        if len(shown):
            p = data.x[shown]
            col = np.clip(((p[:, 0] - lo[0]) / (hi[0] - lo[0]) * width).astype(int), 0, width - 1)
            row = np.clip(((hi[1] - p[:, 1]) / (hi[1] - lo[1]) * height).astype(int), 0, height - 1)
            pixels[row, col] = pack(target_colors(data.subset(shown), trainer))
        self.pixels = pixels
        if len(self._styles) > 4096:
            self._styles.clear()
        self._strips = half_block_strips(pixels[0::2], pixels[1::2], self._styles)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
