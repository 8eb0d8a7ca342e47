"""A plot against the training step that grows as training goes (plotext, via textual-plotext).

The x axis runs from 0 to the current step (at least one epoch, so step 0 has a sensible
axis); curves are min-max downsampled to about twice the plot's width, since plotext costs
about 1 ms per 100 points; edits are grey vertical lines (or points, when there are many).
The y scale is linear, log, or automatic: log once the values span more than two decades.
Subclasses say what to draw (`series`) and what the title says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from textual_plotext import PlotextPlot

EDIT_COLOR = (150, 150, 150)
MAX_EDIT_LINES = 12  # more edits than this are marked as points: full-height lines cost ~1 ms each
SCALES = ("auto", "log", "linear")
AUTO_LOG_SPAN = 100.0  # auto goes log past two decades


@dataclass
class Series:
    x: np.ndarray
    y: np.ndarray
    color: tuple
    marker: str = "braille"
    points: bool = False   # scatter instead of a line
    marks: bool = False    # many edits are marked as points on this curve


def downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points of (x, y), keeping the first and last points and each bucket's
    minimum and maximum of y, in their original order (min-max decimation).

    x and y are 1-d and of equal length; y should be finite (filter first)."""
    n = len(y)
    max_points = max(int(max_points), 4)
    if n <= max_points:
        return x, y
    buckets = (max_points - 2) // 2
    size = -(-n // buckets)
    buckets = -(-n // size)            # so that padding is shorter than one bucket
    padded = np.empty(buckets * size, dtype=y.dtype)
    padded[:n] = y
    padded[n:] = y[-1]
    table = padded.reshape(buckets, size)
    starts = np.arange(buckets) * size
    keep = np.concatenate([starts + table.argmin(axis=1), starts + table.argmax(axis=1),
                           [0, n - 1]])
    keep = np.unique(np.minimum(keep, n - 1))
    return x[keep], y[keep]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions covering [lo, hi]: whole numbers (steps) 1, 2, 2.5 or 5 times a
    power of ten apart."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return [float(lo)] if np.isfinite(lo) else []
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = max(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), 1.0)  # steps
    first = np.ceil(lo / step) * step
    return [float(t) for t in np.arange(first, hi + step * 1e-9, step)]


def short_number(value: float) -> str:
    """A step count in a few characters: 950, 12.5k, 3M."""
    value = float(value)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.4g}"


def distinct_labels(values):
    """The values in as few significant digits (3 to 8) as keep every label distinct."""
    for digits in range(3, 9):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def finite(x, y, positive=False):
    ok = np.isfinite(y)
    if positive:
        ok &= y > 0
    return (x, y) if ok.all() else (x[ok], y[ok])


def y_ticks(lo: float, hi: float, log: bool, count: int = 5) -> list[float]:
    """Tick values over [lo, hi]; one range around a single value so plotext has room."""
    if not hi > lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = (lo / 2, lo * 2) if log and lo > 0 else (lo - pad, hi + pad)
    spaced = np.geomspace if log else np.linspace
    return spaced(lo, hi, count).tolist()


class StepPlot(PlotextPlot):
    """Curves against the step, from 0 to now; y linear, log or auto."""

    DEFAULT_CSS = """
    StepPlot {
        width: 1fr;
        height: 1fr;
        min-height: 5;
        min-width: 20;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.scale = "auto"
        self.log_drawn = False   # whether the last drawing used a log axis
        self._trainer = None
        self._layer_drawn = 0
        self._again = None       # how to draw it again when it shows A and B (update_pair)
        self._drawn_width = 0

    # PlotextPlot.on_mount runs as well (Textual calls each class's on_mount in the MRO).
    def on_mount(self) -> None:
        self.plt.xlabel("step")

    def on_resize(self) -> None:
        if self._trainer is not None and self.size.width != self._drawn_width:
            self.draw_again()

    def draw_again(self) -> None:
        """The last drawing again (at a new size or scale): of one network, or of A and B."""
        if self._again is not None:
            self._again()
        else:
            self.update_from(self._trainer, self._layer_drawn)

    @property
    def log_scale(self) -> bool:
        return self.log_drawn

    def toggle_log(self) -> None:
        """The next scale: auto → log → linear → auto."""
        self.scale = SCALES[(SCALES.index(self.scale) + 1) % len(SCALES)]
        if self._trainer is not None:
            self.draw_again()
        else:
            self.refresh()

    def scale_words(self) -> str:
        shown = "log y" if self.log_drawn else "linear y"
        return f"{shown} (auto)" if self.scale == "auto" else shown

    # ---- for subclasses ------------------------------------------------------------------
    def series(self, trainer, width: int) -> list[Series]:
        raise NotImplementedError

    def title_text(self) -> str:
        raise NotImplementedError

    # ---- drawing -------------------------------------------------------------------------
    def update_from(self, trainer, layer: int = 0) -> None:
        self._trainer, self._layer_drawn = trainer, layer
        self._drawn_width = self.size.width
        self._drawing = self._draw(trainer)
        self.refresh()

    def render(self):
        # plotext takes the log of its data in place when it builds: a second build of the
        # same data (a repaint) would log it twice, so every build puts the data in again
        if getattr(self, "_drawing", None) is not None:
            self._drawing()
        return super().render()

    def _draw(self, trainer):
        """Work out this moment's drawing; a function that puts it into plotext."""
        width, height = self.size.width or 80, self.size.height
        curves = [s for s in self.series(trainer, width) if len(s.y)]
        values = np.concatenate([s.y[np.isfinite(s.y)] for s in curves]) if curves else \
            np.zeros(0)
        if self.scale == "auto":
            log = len(values) > 0 and values.min() > 0 and \
                values.max() / values.min() > AUTO_LOG_SPAN
        else:
            log = self.scale == "log"
        shown, y_lo, y_hi = [], math.inf, -math.inf
        for s in curves:
            x, y = finite(s.x, s.y, positive=log)
            if len(y):
                x, y = downsample(x, y, 2 * width)
                shown.append((s, x.tolist(), y.tolist()))
                y_lo, y_hi = min(y_lo, float(y.min())), max(y_hi, float(y.max()))
        # plotext's log axis fails on an empty plot (reverse_scale(None)): stay linear until
        # there is something positive to draw
        self.log_drawn = bool(log and shown)
        x_hi = float(max(getattr(trainer, "step_count", 0), self.min_span(trainer), 1,
                         max((float(np.nanmax(s.x)) for s in curves), default=0.0)))
        ticks = nice_ticks(0, x_hi, 5 if width >= 60 else 3)
        # our own y ticks, always: plotext prints 3e16 with all its digits, and it keeps
        # ticks across clear_data, so a linear axis's ticks would reach a log axis
        # at most one tick per row of the canvas (the height less title, frame and x axis):
        # two ticks on one row show whichever plotext happens to draw last
        ticks_y = y_ticks(y_lo, y_hi, self.log_drawn, max(2, min(5, height - 5))) \
            if shown else []
        marks = self._edit_marks(np.unique(np.asarray(trainer.history.edits, float)),
                                 next((c for c in curves if c.marks), curves[0])
                                 if curves else None, width)
        title = self.title_text()

        def put() -> None:
            plt = self.plt
            plt.clear_data()
            for s, x, y in shown:
                if s.points or len(y) == 1:
                    plt.scatter(x, y, color=s.color, marker=s.marker)
                else:
                    plt.plot(x, y, color=s.color, marker=s.marker)
            plt.yscale("log" if self.log_drawn else "linear")
            plt.title(title)
            plt.xlim(0, x_hi)
            plt.xticks(ticks, [short_number(t) for t in ticks])
            if shown:
                for mark in marks:
                    mark(plt)
                if not self.log_drawn:  # plotext's ylim is not in log units on a log axis
                    plt.ylim(min(ticks_y), max(ticks_y))
                plt.yticks(ticks_y, distinct_labels(ticks_y))
        return put

    def min_span(self, trainer) -> float:
        """The x axis covers at least this many steps (one epoch)."""
        return float(getattr(trainer, "steps_per_epoch", 1))

    def _edit_marks(self, edits, along: Series | None, width) -> list:
        """Grey vertical lines at a few edits; many edits become points on the first curve."""
        if not len(edits) or along is None:
            return []
        if len(edits) <= MAX_EDIT_LINES:
            return [lambda plt, step=float(step): plt.vline(step, EDIT_COLOR) for step in edits]
        x, y = finite(along.x, along.y, self.log_drawn)
        if not len(x):
            return []
        at = np.unique(np.clip(np.searchsorted(x, edits), 0, len(x) - 1))
        if len(at) > width:
            at = at[np.linspace(0, len(at) - 1, width).astype(int)]
        xs, ys = x[at].tolist(), y[at].tolist()
        return [lambda plt: plt.scatter(xs, ys, color=EDIT_COLOR, marker="x")]
