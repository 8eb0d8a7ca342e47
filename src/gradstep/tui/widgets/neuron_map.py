"""Pictures of what each neuron does, as TensorFlow Playground draws them: for data with two
inputs, every hidden neuron and every output paints its own activation over the input plane
(a small half-block heatmap, orange negative, blue positive), in columns by layer, with the
sum of its incoming weights beneath. For other data, each neuron's mean |activation| over the
training data is a bar. The selected layer's column (the neurons `▸` points at) is marked.

One forward pass over a small grid of points gives every picture at once; the pane redraws
with the costly panes, so a run at full speed loses little to it.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gradstep.names import trainer_names
from gradstep.tui.widgets.colors import diverging, domain, pack
from gradstep.tui.widgets.heatmap import half_block_strips
from gradstep.tui.widgets.readouts_view import number

GAP = 2             # columns between layers
SHOWN = 64          # neurons drawn per layer at most (a 100,000-neuron layer draws 64)
MIN_SIDE, MAX_SIDE = 6, 12  # a picture is side columns wide and side/2 rows tall
BAR = 10


def activation_scale(name: str, values: np.ndarray) -> np.ndarray:
    """Activations as t in [-1, 1] for colouring: tanh and linear by their size, sigmoid and
    softmax around 0.5, relu by its largest value."""
    if name in ("sigmoid", "softmax"):
        return np.clip(2 * values - 1, -1, 1)
    if name == "tanh":
        return np.clip(values, -1, 1)
    top = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return np.clip(values / top, -1, 1) if top > 0 and math.isfinite(top) else \
        np.zeros_like(values)


def _more(hidden: int) -> list:
    """The label that says how many neurons of a layer are not drawn."""
    return [([], f"… {hidden:,} more")] if hidden > 0 else []


class NeuronMap(ScrollView):
    """Every neuron's picture (2 inputs) or bar (more), in columns by layer."""

    DEFAULT_CSS = """
    NeuronMap {
        background: $surface;
    }
    """

    can_focus = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: list[Strip] = []
        self._styles: dict = {}
        self.side = MIN_SIDE
        self.wanted_width = 30

    def update_from(self, trainer, layer: int = 0) -> None:
        net = trainer.network
        names = trainer_names(trainer)
        height = max(4, self.scrollable_content_region.height or self.size.height or 12)
        most = max(net.sizes[1:])
        side = int(min(MAX_SIDE, max(MIN_SIDE, 2 * (height // max(1, min(most, 4)) - 1))))
        self.side = side - side % 2
        image = trainer.raw_train.image
        if image is not None:
            self._strips = self._templates(trainer, names, image)
            title = "weights into each neuron as pictures (v: the list)"
        else:
            if trainer.on_plane:
                columns = self._pictures(trainer, names)
            else:
                columns = self._bars(trainer, names)
            self._strips = self._join(columns, layer + 1)
            title = "neurons (v: the list)"
        if self.border_title != title:  # a new title means a repaint of the border
            self.border_title = title
        width = max((s.cell_length for s in self._strips), default=1)
        self.wanted_width = width + 3  # the border and the scroll bar
        size = Size(width, len(self._strips))
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    # ---- building --------------------------------------------------------------------------
    def _pictures(self, trainer, names):
        """Per layer 1..L: (title, [(strips of a picture, label)])."""
        net, side = trainer.network, self.side
        data = trainer.raw_train
        both = np.concatenate([data.points, trainer.raw_test.points]) \
            if len(trainer.raw_test) else data.points
        lo, hi = domain(both)
        w, h = side, side   # square pixels: side columns, side/2 rows
        xs = lo[0] + (np.arange(w) + 0.5) * (hi[0] - lo[0]) / w
        ys = hi[1] - (np.arange(h) + 0.5) * (hi[1] - lo[1]) / h
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        with np.errstate(all="ignore"):
            acts = net.layer_outputs(trainer.plane_inputs(grid), columns=SHOWN)
        columns = []
        for k in range(1, net.depth + 1):
            kind = net.activation_of(k)
            a = np.nan_to_num(np.asarray(acts[k], float))
            pictures = []
            for j in range(a.shape[1]):
                t = activation_scale(kind, a[:, j]).reshape(h, w)
                pixels = pack(diverging(t.ravel())).reshape(h, w)
                strips = half_block_strips(pixels[0::2], pixels[1::2], self._styles)
                total = float(net.weights[k - 1][:, j].sum())
                pictures.append((strips, f"{names[k][j]} Σ{number(total, 0)}"))
            pictures += _more(net.sizes[k] - a.shape[1])
            columns.append((f"layer {k}", pictures))
        if len(self._styles) > 4096:
            self._styles.clear()
        return columns

    def _templates(self, trainer, names, image) -> list[Strip]:
        """For picture inputs: each first-layer neuron's incoming weights as the picture they
        weigh (blue positive, orange negative, white 0), its Σw beneath, in rows."""
        net = trainer.network
        rows, cols = image
        w = np.asarray(net.weights[0], float)
        top = float(np.nanmax(np.abs(w))) if w.size else 0.0
        top = top if top > 0 and math.isfinite(top) else 1.0
        height = rows + rows % 2
        cell = max(cols, 12) + GAP
        per_row = max(1, ((self.size.width or 60) - 2) // cell)
        pictures = []
        for j in range(min(net.sizes[1], SHOWN)):
            t = np.zeros((height, cols))
            t[:rows] = np.nan_to_num(w[:, j].reshape(rows, cols)) / top
            pixels = pack(diverging(t.ravel())).reshape(height, cols)
            strips = half_block_strips(pixels[0::2], pixels[1::2], self._styles)
            label = f"{names[1][j]} Σ{number(float(w[:, j].sum()), 0)}"
            pictures.append(strips + [Strip([Segment(label[:cell - GAP], Style(dim=True))])])
        out = []
        for start in range(0, len(pictures), per_row):
            group = pictures[start:start + per_row]
            for y in range(len(group[0])):
                out.append(Strip.join([p[y].extend_cell_length(cell).crop(0, cell)
                                       for p in group]))
        return out

    def _bars(self, trainer, names):
        net = trainer.network
        x = trainer.x_train[:512]
        with np.errstate(all="ignore"):
            acts = net.layer_outputs(x, columns=SHOWN)
        columns = []
        for k in range(1, net.depth + 1):
            means = np.nan_to_num(np.abs(np.asarray(acts[k], float)).mean(axis=0))
            top = float(means.max()) if means.size and means.max() > 0 else 1.0
            bars = []
            for j, m in enumerate(means):
                cells = round(BAR * float(m) / top)
                bar = Strip([Segment("█" * cells + "·" * (BAR - cells),
                                     Style(color="rgb(8,119,189)"))])
                bars.append(([bar], f"{names[k][j]} {number(float(m), 0)}"))
            bars += _more(net.sizes[k] - len(means))
            columns.append((f"layer {k} mean|a|", bars))
        return columns

    def _join(self, columns, selected: int) -> list[Strip]:
        """The columns side by side, each picture above its label."""
        width = max(self.side, BAR, *(len(label) for _, items in columns for _, label in items),
                    *(len(title) + 2 for title, _ in columns))  # the ▸ mark
        blocks = []
        for k, (title, items) in enumerate(columns, start=1):
            mark = k == selected
            lines = [Strip([Segment(("▸ " if mark else "") + title,
                                    Style(bold=True, reverse=mark))])]
            for strips, label in items:
                lines.extend(strips)
                lines.append(Strip([Segment(label[:width], Style(dim=not mark))]))
            blocks.append(lines)
        rows = max(len(b) for b in blocks)
        out = []
        for y in range(rows):
            parts = []
            for block in blocks:
                line = block[y] if y < len(block) else Strip.blank(width)
                parts.append(line.extend_cell_length(width).crop(0, width))
                parts.append(Strip.blank(GAP))
            out.append(Strip.join(parts))
        return out

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if 0 <= row < len(self._strips):
            return self._strips[row].crop(int(self.scroll_x), int(self.scroll_x) + width) \
                .extend_cell_length(width)
        return Strip.blank(width)
