"""What the network computes: a fitted curve (1 input), a heatmap over the input plane
(2 inputs, drawn as TensorFlow Playground draws it), or predicted vs target rows (more inputs).

The heatmap is drawn with half blocks: each cell's '▀' shows two vertical pixels, the upper in
the foreground colour and the lower in the background colour. The whole grid of inputs is
predicted in one vectorised call per redraw; cells are merged into runs of equal colour and the
styles are cached, so a redraw of a 120×36 pane costs a few milliseconds.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from gradstep.targets import class_confidence, low_label, predict_classes

NEUTRAL = np.array([232, 234, 235], float)   # playground's white-ish middle
ORANGE = (245, 147, 34)                      # negative / class 0
BLUE = (8, 119, 189)                         # positive / class 1
CLASS_COLORS = np.array([ORANGE, BLUE, (39, 174, 96), (142, 68, 173), (241, 196, 15),
                         (231, 76, 60), (22, 160, 133), (233, 30, 99), (121, 85, 72),
                         (96, 125, 139)], float)
POINT_SHADE = 0.55      # points are their colour darkened, so they show on any background
LEVELS = 8              # colour levels per hue: few distinct styles, a cache that stays warm
MARGIN = 0.05           # the plotted domain is the data's range widened by this fraction
MAX_POINTS = 400        # points drawn at most (evenly picked), in the plot and the heatmap


# ---- pure helpers (numpy only) -----------------------------------------------------------

def domain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (lo, hi) of x widened by MARGIN; a constant or empty column gets ±1."""
    if len(x) == 0:
        return -np.ones(x.shape[1]), np.ones(x.shape[1])
    lo, hi = np.nanmin(x, axis=0).astype(float), np.nanmax(x, axis=0).astype(float)
    pad = (hi - lo) * MARGIN
    flat = ~(hi - lo > 0)
    pad[flat] = 1.0
    return lo - pad, hi + pad


def _shade(hues: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """NEUTRAL blended toward each row's hue by strength in [0, 1], quantized to LEVELS."""
    s = np.round(np.clip(strength, 0, 1) * LEVELS)[:, None] / LEVELS
    return NEUTRAL + (hues - NEUTRAL) * s


def diverging(t: np.ndarray) -> np.ndarray:
    """t in [-1, 1] to colours: orange for negative, neutral at 0, blue for positive."""
    t = np.nan_to_num(np.asarray(t, float))
    hues = np.where((t < 0)[:, None], np.array(ORANGE, float), np.array(BLUE, float))
    return _shade(hues, np.abs(t))


def by_class(labels: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Class colours (playground orange, blue, then more) with brightness by confidence."""
    return _shade(CLASS_COLORS[np.asarray(labels) % len(CLASS_COLORS)], confidence)


def _clean(out: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(out, float), nan=0.0, posinf=1e300, neginf=-1e300)


def signed_scale(values: np.ndarray, trainer) -> np.ndarray:
    """A single output as t in [-1, 1]: class scores by the output's range, regression by the
    training targets' range (so the colours span what the data spans)."""
    v = _clean(values)
    net = trainer.network
    if trainer.is_classification:
        if net.output == "sigmoid":
            return np.clip(2 * v - 1, -1, 1)
        return np.clip(v, -1, 1)
    y = trainer.raw_train.y[:, 0].astype(float)
    lo, hi = float(y.min()), float(y.max())
    if not hi > lo:
        return np.clip(v - lo, -1, 1)
    return np.clip(2 * (v - lo) / (hi - lo) - 1, -1, 1)


def output_colors(out: np.ndarray, trainer) -> np.ndarray:
    """Colours (n, 3) for network outputs (n, k), as the playground colours its background."""
    if out.shape[1] >= 2 and trainer.is_classification:
        labels, confidence = class_confidence(_clean(out), trainer.network.output == "softmax")
        return by_class(labels, confidence)
    return diverging(signed_scale(out[:, 0], trainer))


def target_colors(data, trainer) -> np.ndarray:
    """Point colours (n, 3): class colour, or the target's place in the diverging scale."""
    if data.task == "classification":
        if data.n_classes == 2 and trainer.network.sizes[-1] == 1:
            return diverging(np.where(data.y == 1, 1.0, -1.0)) * POINT_SHADE
        return by_class(data.y, np.ones(len(data.y))) * POINT_SHADE
    t = signed_scale(data.y[:, 0], trainer)
    return diverging(np.sign(t) * np.maximum(np.abs(t), 0.5)) * POINT_SHADE


def pick(n: int, most: int) -> np.ndarray:
    """At most `most` evenly spaced indices of range(n)."""
    if n <= most:
        return np.arange(n)
    return np.linspace(0, n - 1, most).astype(int)


def pack(rgb: np.ndarray) -> np.ndarray:
    """uint8-ranged rgb (..., 3) to 0xRRGGBB ints."""
    c = np.clip(np.rint(rgb), 0, 255).astype(np.int64)
    return (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]


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


def compact(value: float) -> str:
    """A number in at most about 8 characters."""
    if not math.isfinite(value):
        return "—" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


# ---- widgets -----------------------------------------------------------------------------

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
        xs = lo[0] + (np.arange(width) + 0.5) * (hi[0] - lo[0]) / width
        ys = hi[1] - (np.arange(height) + 0.5) * (hi[1] - lo[1]) / height  # up is larger
        grid = np.empty((height, width, 2))
        grid[..., 0] = xs[None, :]
        grid[..., 1] = ys[:, None]
        out = trainer.predict(grid.reshape(-1, 2))
        colors = output_colors(np.asarray(out).reshape(height * width, -1), trainer)
        pixels = pack(colors).reshape(height, width)
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


class OutputView(Vertical):
    """The network's output for the data: curve (1 input), heatmap (2), rows (more)."""

    DEFAULT_CSS = """
    OutputView {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    OutputView > #output-curve, OutputView > #output-heatmap, OutputView > #output-table {
        height: 1fr;
    }
    OutputView > #output-caption {
        height: auto;
        max-height: 2;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.mode = ""   # "curve", "heatmap" or "table", set by the first update
        self._trainer = None
        self._caption_shown = ""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="output-curve")
        yield HeatmapCanvas(id="output-heatmap")
        yield Static(id="output-table")
        yield Static(id="output-caption")

    def on_mount(self) -> None:
        self._set_mode("heatmap")

    def on_resize(self) -> None:
        if self._trainer is not None and self.mode in ("curve", "table"):
            self.update_from(self._trainer)

    def _set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        for child, name in ((self.query_one("#output-curve"), "curve"),
                            (self.query_one("#output-heatmap"), "heatmap"),
                            (self.query_one("#output-table"), "table")):
            child.display = name == mode

    def update_from(self, trainer, layer: int = 0) -> None:
        """Redraw from the trainer's current network (layer is unused)."""
        self._trainer = trainer
        inputs = trainer.network.sizes[0]
        if inputs == 1:
            self._set_mode("curve")
            self._draw_curve(trainer)
            where = f"{trainer.raw_train.feature_names[0]} →; points: training data"
        elif inputs == 2:
            self._set_mode("heatmap")
            self.query_one(HeatmapCanvas).show(trainer)
            names = trainer.raw_train.feature_names
            where = f"{names[0]} →, {names[1]} ↑; orange − / blue +; dots: training data"
            if trainer.is_classification and trainer.network.sizes[-1] > 1:
                where = f"{names[0]} →, {names[1]} ↑; colour = class, brightness = confidence"
        else:
            self._set_mode("table")
            self._draw_table(trainer)
            where = f"{inputs} inputs: the heatmap needs 2 inputs"
        caption = self._caption(trainer, where)
        if caption.plain != self._caption_shown:
            # a layout pass only when the length changes (it may wrap onto a second line):
            # while training, only the digits change
            layout = len(caption.plain) != len(self._caption_shown)
            self.query_one("#output-caption", Static).update(caption, layout=layout)
            self._caption_shown = caption.plain

    # ---- pieces ------------------------------------------------------------------------
    @staticmethod
    def _caption(trainer, where: str) -> Text:
        text = Text()
        if trainer.is_classification:
            step, now = trainer.latest()
            accuracy = now.accuracy
            split = "test" if len(trainer.raw_test) else "train"
            shown = "—" if math.isnan(accuracy) else f"{100 * accuracy:.1f}%"
            text.append(f"accuracy {shown}", style="bold")
            stale = "" if step == trainer.step_count else f" at step {step:g}"
            text.append(f" ({split}{stale})  ")
        text.append(where)
        return text

    def _draw_curve(self, trainer) -> None:
        plot = self.query_one("#output-curve", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        data = trainer.raw_train
        lo, hi = domain(data.x)
        width = max(plot.size.width, 20)
        xs = np.linspace(lo[0], hi[0], 2 * width)
        out = _clean(np.asarray(trainer.predict(xs[:, None])))
        out = np.clip(out, -1e12, 1e12)  # plotext cannot scale astronomically large values
        shown = pick(len(data.x), MAX_POINTS)
        px = data.x[shown, 0]
        if data.task == "classification":
            low = low_label(trainer.network.output)
            labels = data.y[shown]
            for c in range(data.n_classes):
                mask = labels == c
                if not mask.any():
                    continue
                y = np.where(labels[mask] == 1, 1.0, low) if out.shape[1] == 1 else np.ones(mask.sum())
                plt.scatter(px[mask].tolist(), y.tolist(), marker="dot",
                            color=tuple(int(v) for v in CLASS_COLORS[c % len(CLASS_COLORS)]))
            for j in range(min(out.shape[1], len(CLASS_COLORS))):
                color = (BLUE if out.shape[1] == 1 else
                         tuple(int(v) for v in CLASS_COLORS[j]))
                plt.plot(xs.tolist(), out[:, j].tolist(), marker="braille", color=color)
        else:
            plt.scatter(px.tolist(), data.y[shown, 0].astype(float).tolist(), marker="dot",
                        color=ORANGE)
            plt.plot(xs.tolist(), out[:, 0].tolist(), marker="braille", color=BLUE)
        plot.refresh()

    def _draw_table(self, trainer) -> None:
        table = self.query_one("#output-table", Static)
        data = trainer.raw_test if len(trainer.raw_test) else trainer.raw_train
        split = "test" if len(trainer.raw_test) else "train"
        height = table.size.height or self.size.height - 1   # 0 until laid out once shown
        rows = max(height - 1, 3)
        x = data.x[:rows]
        out = _clean(np.asarray(trainer.predict(x)))
        text = Text(no_wrap=True, overflow="ellipsis")
        if data.task == "classification":
            text.append(f"{split + ' class':>11}{'predicted':>10}{'confid.':>9}\n", style="bold")
            if out.shape[1] >= 2:
                labels, conf = class_confidence(out, trainer.network.output == "softmax")
            else:
                labels = predict_classes(trainer.network, out)
                conf = np.abs(signed_scale(out[:, 0], trainer))
            for target, label, c in zip(data.y[:rows], labels, conf):
                right = target == label
                text.append(f"{int(target):>11}{int(label):>10}{compact(float(c)):>9} "
                            f"{'✓' if right else '✗'}\n", style="" if right else "bold")
        else:
            name = (data.target_names[0] if data.target_names else "target")[:9]
            text.append(f"{split + ' ' + name:>11}{'predicted':>10}{'error':>9}\n", style="bold")
            for target, predicted in zip(data.y[:rows, 0], out[:, 0]):
                error = float(predicted) - float(target)
                text.append(f"{compact(float(target)):>11}{compact(float(predicted)):>10}"
                            f"{compact(error):>9}\n")
        table.update(text)
