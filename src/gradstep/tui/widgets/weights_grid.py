"""One weight layer as a grid: rows are the inputs of the layer, columns its neurons, then the
bias row and the Σ row, each named as the lessons name them (homework, x1, h2, grade).

A Line API widget: only the visible cells are rendered, so a 512×512 layer scrolls without lag.
Columns scroll by whole cells (a minus sign or a freeze mark is never cut off) and the title
says which columns are shown. Cells are coloured by sign (blue positive, orange negative) and
brightness by |w| relative to the layer's largest |w|. A `*` right after a value marks a frozen
weight; an exact zero is written `0`, a value that only rounds to zero `+0.000`. The Σ row is
each neuron's incoming sum Σ_i w_ij: nothing makes it 1.

The grid draws from copies taken in `update_from` (which the app calls under its training
lock): the trainer writes its weights in place, so drawing from the live arrays could mix two
steps in one frame. Copying even a 512×512 layer costs well under a millisecond.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gradstep.names import trainer_names

CELL = 9    # one cell: an 8-character value and the freeze mark after it
LEVELS = 8  # brightness steps
MIN_LABEL, MAX_LABEL = 8, 12

POSITIVE = Color(40, 110, 255)
NEGATIVE = Color(255, 140, 0)
ZERO = Color(90, 90, 90)
DARK = Color(24, 24, 28)


def format_value(v: float) -> str:
    """A value in 8 characters; an exact zero is `0`, so it never looks like 0.0004."""
    if v == 0:
        return f"{'0':>8}"
    if not math.isfinite(v):
        return f"{v:>8}"
    if abs(v) < 999.9995:
        return f"{v:+8.3f}"
    return f"{v:+8.1e}"


def fit(name: str, width: int) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


class WeightsGrid(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    WeightsGrid {
        background: $surface;
        overflow-x: hidden;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("pageup", "move(-10, 0)", show=False),
        Binding("pagedown", "move(10, 0)", show=False),
        Binding("home", "move(0, -100000)", show=False),
        Binding("end", "move(0, 100000)", show=False),
        Binding("enter", "open", "Edit", id="grid.edit", show=False),
        Binding("plus,equals_sign", "nudge(1)", "+0.1", id="grid.nudge_up", show=False),
        Binding("minus", "nudge(-1)", "-0.1", id="grid.nudge_down", show=False),
        Binding("f", "freeze", "Freeze", id="grid.freeze", show=False),
    ]

    NUDGE = 0.1

    class CellMessage(Message):
        def __init__(self, layer: int, row: int, col: int) -> None:
            super().__init__()
            self.layer, self.row, self.col = layer, row, col

    class Open(CellMessage):
        """Enter on a cell: edit its value. row == n_in means the bias of neuron col."""

    class ToggleFreeze(CellMessage):
        """f on a cell."""

    class Nudge(CellMessage):
        def __init__(self, layer: int, row: int, col: int, delta: float) -> None:
            super().__init__(layer, row, col)
            self.delta = delta

    def __init__(self, *, name=None, id=None, classes=None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.weight_layer = 0
        self.cursor = (0, 0)
        self.first_col = 0    # the first column shown: columns scroll by whole cells
        self.show_layers = False  # name the network's layers in the title (no network pane)
        self._w: np.ndarray | None = None
        self._b: np.ndarray | None = None
        self._frozen: np.ndarray | None = None
        self._sums: np.ndarray | None = None
        self._rows: list[str] = []
        self._cols: list[str] = []
        self._label = MIN_LABEL
        self._scale = 1.0
        self._styles: dict = {}

    # ---- data --------------------------------------------------------------------------
    owner = ""  # "A" or "B" when two networks learn side by side

    def update_pair(self, workspace, layer: int = 0) -> None:
        """The selected network's weights (b switches), its name in the title."""
        self.owner = workspace.name_of(workspace.active)
        self._draw(workspace.trainer, layer)

    def update_from(self, trainer, layer: int = 0) -> None:
        self.owner = ""
        self._draw(trainer, layer)

    def _draw(self, trainer, layer: int = 0) -> None:
        net = trainer.network
        layer = max(0, min(layer, net.depth - 1))
        self.weight_layer = layer
        w = net.weights[layer].copy()
        self._w = w
        self._b = net.biases[layer].copy() if net.bias else None
        frozen = net.frozen[layer]
        self._frozen = None if frozen is None else frozen.copy()
        self._sums = np.add.reduce(w, 0)
        names = trainer_names(trainer)
        self._rows, self._cols = names[layer], names[layer + 1]
        self._label = max(MIN_LABEL, min(MAX_LABEL, 1 + max(len(n) for n in self._rows)))
        biggest = max(float(w.max()), -float(w.min())) if w.size else 0.0  # no |w| copy
        self._scale = biggest if math.isfinite(biggest) and biggest > 0 else 1.0
        n, m = w.shape
        layers = "-".join(map(str, net.sizes))
        self.border_title = (f"{self.owner}: " if self.owner else "") + \
            f"weights W{layer} ({n}×{m})" + \
            (f" of {layers} ([ ])" if self.show_layers else "")
        r, c = self.cursor
        self.cursor = (min(r, self.editable_rows - 1), min(c, m - 1))
        self._follow()
        self.refresh()

    @property
    def dims(self) -> tuple[int, int]:
        """(rows i, columns j) of the weight matrix shown (without the bias and Σ rows)."""
        return (0, 0) if self._w is None else self._w.shape

    @property
    def editable_rows(self) -> int:
        return self.dims[0] + (1 if self._b is not None else 0)

    @property
    def total_rows(self) -> int:
        return self.editable_rows + 1

    @property
    def label_width(self) -> int:
        return self._label

    @property
    def wanted_height(self) -> int:
        """Rows the whole grid needs (header, weights, bias, Σ) inside its border."""
        return 1 + self.total_rows

    def value_at(self, row: int, col: int) -> float:
        if row < self.dims[0]:
            return float(self._w[row, col])
        return float(self._b[col])

    def visible_columns(self) -> int:
        width = self.scrollable_content_region.width or self.size.width
        return max(1, (width - self._label) // CELL)

    # ---- actions -----------------------------------------------------------------------
    def action_move(self, rows: int, cols: int) -> None:
        if self._w is None:
            return
        r, c = self.cursor
        r = max(0, min(self.editable_rows - 1, r + rows))
        c = max(0, min(self.dims[1] - 1, c + cols))
        self.cursor = (r, c)
        self._follow()
        self.refresh()

    def action_open(self) -> None:
        if self._w is not None:
            self.post_message(self.Open(self.weight_layer, *self.cursor))

    def action_nudge(self, sign: int) -> None:
        if self._w is not None:
            self.post_message(self.Nudge(self.weight_layer, *self.cursor, sign * self.NUDGE))

    def action_freeze(self) -> None:
        if self._w is not None:
            self.post_message(self.ToggleFreeze(self.weight_layer, *self.cursor))

    def _follow(self) -> None:
        """Show the cursor's cell: whole columns sideways, rows by scrolling."""
        if self._w is None:
            return
        m, shown = self.dims[1], self.visible_columns()
        r, c = self.cursor
        self.first_col = max(0, min(self.first_col, c, m - shown))
        if c >= self.first_col + shown:
            self.first_col = c - shown + 1
        size = Size(self.scrollable_content_region.width or self.size.width, 1 + self.total_rows)
        if size != self.virtual_size:
            self.virtual_size = size
        rows = max(1, self.scrollable_content_region.height - 1)
        sy = int(self.scroll_y)
        if r < sy:
            sy = r
        elif r >= sy + rows:
            sy = r - rows + 1
        self.scroll_to(0, sy, animate=False, immediate=True)
        self._subtitle(shown)

    def _subtitle(self, shown: int) -> None:
        m = self.dims[1]
        if m <= shown:
            self.border_subtitle = "Σ in: free to be anything"
            return
        last = min(m, self.first_col + shown)
        left = "◂ " if self.first_col else ""
        right = " ▸" if last < m else ""
        self.border_subtitle = f"{left}columns {self.first_col + 1}–{last} of {m}{right}"

    def on_click(self, event: events.Click) -> None:
        if self._w is None:
            return
        x, y = event.x, event.y
        if x < self._label or y < 1:
            return
        col = self.first_col + (x - self._label) // CELL
        row = int(self.scroll_y) + y - 1
        if 0 <= row < self.editable_rows and 0 <= col < self.dims[1]:
            self.cursor = (row, col)
            self.refresh()

    def on_resize(self) -> None:
        if self._w is not None:
            self._follow()

    # ---- drawing -----------------------------------------------------------------------
    def _cell_style(self, value: float, frozen: bool, cursor: bool) -> Style:
        t = min(1.0, abs(value) / self._scale) if math.isfinite(value) else 1.0
        level = round(t * LEVELS)
        sign = (value > 0) - (value < 0)
        key = (sign, level, frozen, cursor)
        style = self._styles.get(key)
        if style is None:
            hue = NEGATIVE if sign < 0 else POSITIVE if sign > 0 else ZERO
            back = DARK.blend(hue, 0.15 + 0.85 * level / LEVELS)
            fore = Color(0, 0, 0) if back.brightness > 0.55 else Color(235, 235, 235)
            style = Style(color=fore.rich_color, bgcolor=back.rich_color,
                          bold=cursor or frozen, reverse=cursor, underline=cursor or frozen)
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self._w is None:
            return Strip.blank(width, base)
        n, m = self._w.shape
        sy = int(self.scroll_y)
        c0 = self.first_col
        c1 = min(m, c0 + self.visible_columns())
        label_width = self._label
        dim = base + Style(dim=True)
        label_style = base + Style(bold=True)
        cells: list[Segment] = []
        if y == 0:
            label = Segment("in \\ to".ljust(label_width), dim)
            for j in range(c0, c1):
                cells.append(Segment(f"{fit(self._cols[j], CELL - 1):>{CELL - 1}} ",
                                     label_style))
        else:
            row = sy + y - 1
            if row >= self.total_rows:
                return Strip.blank(width, base)
            cur_r, cur_c = self.cursor
            if row == self.total_rows - 1:
                label = Segment("Σ in".ljust(label_width), dim)
                for j in range(c0, c1):
                    cells.append(Segment(format_value(float(self._sums[j])) + " ", dim))
            else:
                is_bias = row >= n
                name = "bias" if is_bias else fit(self._rows[row], label_width - 1)
                label = Segment(name.ljust(label_width), label_style)
                values = self._b[c0:c1] if is_bias else self._w[row, c0:c1]
                frozen = None if is_bias or self._frozen is None else self._frozen[row, c0:c1]
                for k, v in enumerate(values.tolist()):
                    j = c0 + k
                    is_frozen = bool(frozen is not None and frozen[k])
                    style = self._cell_style(v, is_frozen, row == cur_r and j == cur_c)
                    cells.append(Segment(format_value(v), style))
                    cells.append(Segment("*" if is_frozen else " ",
                                         label_style if is_frozen else base))
        line = Strip.join([Strip([label]), Strip(cells)])
        return line.extend_cell_length(width, base).crop(0, width)
