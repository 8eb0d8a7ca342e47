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
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
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


PROBE_COLOR = 0xFF00FF   # magenta: no prediction or point is ever painted this colour


@dataclass(frozen=True)
class View:
    """Where the input plane sits in a canvas of pixels: a rectangle keeping the data's aspect
    (pixels are square), centred; lo and hi are the plane's corners."""

    left: int
    top: int
    width: int
    height: int
    lo: np.ndarray
    hi: np.ndarray

    def pixel_of(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, rows) inside the rectangle of points (n, 2) on the plane."""
        lo, hi = self.lo, self.hi
        col = np.clip(((points[:, 0] - lo[0]) / (hi[0] - lo[0]) * self.width).astype(int),
                      0, self.width - 1)
        row = np.clip(((hi[1] - points[:, 1]) / (hi[1] - lo[1]) * self.height).astype(int),
                      0, self.height - 1)
        return col, row

    def point_at(self, column: int, pixel_row: int) -> np.ndarray | None:
        """The plane's point at a canvas pixel (its centre), or None outside the rectangle."""
        x, y = column - self.left, pixel_row - self.top
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        return np.array([self.lo[0] + (x + 0.5) * (self.hi[0] - self.lo[0]) / self.width,
                         self.hi[1] - (y + 0.5) * (self.hi[1] - self.lo[1]) / self.height])


def fit_view(lo, hi, width: int, height: int) -> View:
    """The largest rectangle of square pixels with the plane's aspect in width × height."""
    span_x, span_y = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    scale = min(width / span_x, height / span_y)
    w = max(1, min(width, round(span_x * scale)))
    h = max(1, min(height, round(span_y * scale)))
    return View((width - w) // 2, ((height - h) // 2) & ~1, w, h, lo, hi)


class HeatmapCanvas(Widget, can_focus=True):
    """The network's output over the plane of its two inputs, training points on top. When it
    has the focus (click it, or Tab), the arrow keys and the mouse move a probe over the plane:
    the output pane then reads the network at that point."""

    BINDINGS = [
        Binding("up", "probe(0, -1)", "Probe up", show=False),
        Binding("down", "probe(0, 1)", "Probe down", show=False),
        Binding("left", "probe(-1, 0)", "Probe left", show=False),
        Binding("right", "probe(1, 0)", "Probe right", show=False),
        Binding("shift+up", "probe(0, -4)", show=False),
        Binding("shift+down", "probe(0, 4)", show=False),
        Binding("shift+left", "probe(-4, 0)", show=False),
        Binding("shift+right", "probe(4, 0)", show=False),
    ]

    class PointAdded(Message):
        """A click placed a training point: left button class 1 (or target +1), right button
        class 0 (or −1); with more classes, the class the number keys chose."""

        def __init__(self, point, target) -> None:
            super().__init__()
            self.point = point
            self.target = target

    class Probed(Message):
        """The probe moved to a point of the input plane (None: it left)."""

        def __init__(self, canvas, point) -> None:
            super().__init__()
            self.canvas = canvas
            self.point = point

        @property
        def control(self):
            return self.canvas

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
        self.view: View | None = None
        self.probe: tuple[int, int] | None = None  # (column, pixel row) of the probe
        self.show_test = False   # t: the test points too (a dark pixel under each)
        self.discrete = False    # o: each pixel the class (or sign) the network decides
        self.brush = 1           # the class a left click adds (number keys choose it)

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
            self._strips, self.pixels, self.view = [], None, None
            self.refresh()
            return
        data = trainer.raw_train
        both = np.concatenate([data.points, trainer.raw_test.points]) \
            if len(trainer.raw_test) else data.points
        lo, hi = domain(both)
        self.view = view = fit_view(lo, hi, width, 2 * rows)
        left, top, w, h = view.left, view.top, view.width, view.height
        grid_w, grid_h = grid_size(w, h, trainer.network.parameter_count())
        xs = lo[0] + (np.arange(grid_w) + 0.5) * (hi[0] - lo[0]) / grid_w
        ys = hi[1] - (np.arange(grid_h) + 0.5) * (hi[1] - lo[1]) / grid_h  # up is larger
        grid = np.empty((grid_h, grid_w, 2))
        grid[..., 0] = xs[None, :]
        grid[..., 1] = ys[:, None]
        out = trainer.predict_plane(grid.reshape(-1, 2))
        colors = output_colors(np.asarray(out).reshape(grid_h * grid_w, -1), trainer,
                               self.discrete)
        pixels = np.full((2 * rows, width), self._background(), np.int64)
        plane = pack(colors).reshape(grid_h, grid_w)
        if (grid_w, grid_h) != (w, h):  # a huge network: each point covers a block of pixels
            plane = plane[(np.arange(h) * grid_h // h)[:, None],
                          (np.arange(w) * grid_w // w)[None, :]]
        shown = pick(len(data.x), max(MAX_POINTS, 1))
        if len(shown):
            col, row = view.pixel_of(data.points[shown])
            plane[row, col] = pack(target_colors(data.subset(shown), trainer))
        test = trainer.raw_test
        if self.show_test and len(test):  # as the playground outlines them: a dark mark below
            picked = pick(len(test), max(MAX_POINTS, 1))
            col, row = view.pixel_of(test.points[picked])
            plane[row, col] = pack(target_colors(test.subset(picked), trainer))
            plane[np.minimum(row + 1, h - 1), col] = 0x000000
        pixels[top:top + h, left:left + w] = plane
        self.pixels = pixels
        if self.probe is not None and self.has_focus:  # the probe: a white pixel, boxed
            column, row = self._clamp(*self.probe)
            pixels = pixels.copy()
            pixels[row, column] = PROBE_COLOR
        if len(self._styles) > 4096:
            self._styles.clear()
        self._strips = half_block_strips(pixels[0::2], pixels[1::2], self._styles)
        self.refresh()

    # ---- the probe ---------------------------------------------------------------------
    def _clamp(self, column: int, row: int) -> tuple[int, int]:
        v = self.view
        return (min(max(column, v.left), v.left + v.width - 1),
                min(max(row, v.top), v.top + v.height - 1))

    def _move_probe(self, column: int, row: int) -> None:
        if self.view is None:
            return
        self.probe = self._clamp(column, row)
        self.post_message(self.Probed(self, self.view.point_at(*self.probe)))
        self._rebuild()

    def action_probe(self, dx: int, dy: int) -> None:
        if self.view is None:
            return
        column, row = self.probe or (self.view.left + self.view.width // 2,
                                     self.view.top + self.view.height // 2)
        self._move_probe(column + dx, row + dy)

    def on_click(self, event: events.Click) -> None:
        """A click adds a training point there (and focuses the probe on it)."""
        self.focus()
        self._move_probe(event.x, 2 * event.y)
        if self.view is None or self._trainer is None:
            return
        point = self.view.point_at(*self._clamp(event.x, 2 * event.y))
        data = self._trainer.raw_train
        right = event.button == 3
        if data.task == "classification":
            target = (0 if right else 1) if data.n_classes == 2 else self.brush
        else:
            target = -1.0 if right else 1.0
        self.post_message(self.PointAdded(tuple(point.tolist()), target))

    def on_key(self, event: events.Key) -> None:
        """Number keys choose the class a click adds, when there are more than two."""
        data = getattr(self._trainer, "raw_train", None)
        if data is not None and event.character and event.character.isdigit() and \
                data.task == "classification" and int(event.character) < data.n_classes:
            self.brush = int(event.character)
            self.notify(f"a click adds class {self.brush}")
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.has_focus and self.probe is not None:
            self._move_probe(event.x, 2 * event.y)

    def on_focus(self) -> None:
        self.action_probe(0, 0)

    def on_blur(self) -> None:
        self.post_message(self.Probed(self, None))
        if self.view is not None:
            self._rebuild()

    def _background(self) -> int:
        color = self.rich_style.bgcolor
        r, g, b = color.get_truecolor() if color is not None else (30, 30, 30)
        return (r << 16) | (g << 8) | b

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
