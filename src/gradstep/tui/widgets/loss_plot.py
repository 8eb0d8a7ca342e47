"""The loss over time: train and test loss against step, edits marked, linear or log y.

The history can hold a million evaluations; plotext costs about 1 ms per 100 points, so the
curves are min-max downsampled to about twice the plot's width before they are drawn.
"""

from __future__ import annotations

import math

import numpy as np
from textual_plotext import PlotextPlot

TRAIN_COLOR = (8, 119, 189)    # playground blue
TEST_COLOR = (245, 147, 34)    # playground orange
EDIT_COLOR = (150, 150, 150)
MAX_EDIT_LINES = 12  # more edits than this are marked as points: full-height lines cost ~1 ms each


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


def _finite(x, y, positive=False):
    ok = np.isfinite(y)
    if positive:
        ok &= y > 0
    return (x, y) if ok.all() else (x[ok], y[ok])


class LossPlot(PlotextPlot):
    """Train (blue) and test (orange) loss against step; dotted vertical lines at edits."""

    DEFAULT_CSS = """
    LossPlot {
        width: 1fr;
        height: 1fr;
        min-height: 5;
        min-width: 20;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.log_scale = False
        self._trainer = None
        self._drawn_width = 0

    # PlotextPlot.on_mount runs as well (Textual calls each class's on_mount in the MRO).
    def on_mount(self) -> None:
        self.plt.xlabel("step")
        self._apply_scale()

    def on_resize(self) -> None:
        if self._trainer is not None and self.size.width != self._drawn_width:
            self.update_from(self._trainer)

    @property
    def title_text(self) -> str:
        scale = "log y" if self.log_scale else "linear y"
        return f"blue: train · orange: test · {scale}"  # short enough for an 80×24 pane

    def _apply_scale(self) -> None:
        self.plt.yscale("log" if self.log_scale else "linear")
        self.plt.title(self.title_text)

    def toggle_log(self) -> None:
        """Switch the y axis between linear and log scale (non-positive losses are left out)."""
        self.log_scale = not self.log_scale
        self._apply_scale()
        if self._trainer is not None:
            self.update_from(self._trainer)
        else:
            self.refresh()

    def update_from(self, trainer, layer: int = 0) -> None:
        """Redraw the curves from trainer.history (layer is unused: the loss is network-wide)."""
        self._trainer = trainer
        history = trainer.history
        width = self.size.width or 80
        self._drawn_width = self.size.width
        plt = self.plt
        plt.clear_data()
        n = len(history)  # read once: a running trainer may add rows meanwhile (toggle, resize)
        steps = history.column("step")[:n]
        columns = {c: history.column(c)[:n] for c in ("train_loss", "test_loss")}
        step, now = trainer.latest()
        if not n or step > steps[-1]:  # the evaluation of now, past the history's last row
            steps = np.append(steps, step)
            columns = {"train_loss": np.append(columns["train_loss"], now.train_loss),
                       "test_loss": np.append(columns["test_loss"], now.test_loss)}
        self._steps, self._train = steps, columns["train_loss"]
        drawn = 0
        y_lo, y_hi = math.inf, -math.inf
        for column, label, color in (("train_loss", "train", TRAIN_COLOR),
                                     ("test_loss", "test", TEST_COLOR)):
            x, y = _finite(steps, columns[column], positive=self.log_scale)
            if not len(y):
                continue
            x, y = downsample(x, y, 2 * width)
            # a legend box would cover a small plot; the title names the colours instead
            plt.plot(x.tolist(), y.tolist(), color=color, marker="braille")
            drawn += 1
            y_lo, y_hi = min(y_lo, float(y.min())), max(y_hi, float(y.max()))
        # plotext's log axis fails on an empty plot (reverse_scale(None)): stay linear until
        # there is something positive to draw; the title keeps saying "log y"
        plt.yscale("log" if self.log_scale and drawn else "linear")
        if drawn and history.edits:
            self._mark_edits(np.unique(np.asarray(history.edits, float)), steps, width)
        if drawn:
            lo, hi = float(steps[0]), float(steps[-1])
            if hi <= lo:                  # one evaluation: give plotext a range to draw in
                lo, hi = lo - 1, hi + 1
                plt.xlim(lo, hi)
            ticks = nice_ticks(lo, hi, 5 if width >= 60 else 3)
            plt.xticks(ticks, [short_number(t) for t in ticks])
            # our own y ticks, always: plotext prints 3e16 with all its digits, and it keeps
            # ticks across clear_data, so a linear axis's ticks would reach a log axis
            spaced = np.geomspace if self.log_scale else np.linspace
            y_ticks = spaced(y_lo, y_hi, 5 if y_hi > y_lo else 1).tolist()
            plt.yticks(y_ticks, distinct_labels(y_ticks))
        self.refresh()

    def _mark_edits(self, edits, steps, width):
        """Grey vertical lines at a few edits; many edits become points on the train curve."""
        plt = self.plt
        if len(edits) <= MAX_EDIT_LINES:
            for step in edits:
                plt.vline(float(step), EDIT_COLOR)
            return
        x, y = _finite(steps, self._train, self.log_scale)
        if not len(x):
            return
        at = np.clip(np.searchsorted(x, edits), 0, len(x) - 1)
        at = np.unique(at)
        if len(at) > width:
            at = at[np.linspace(0, len(at) - 1, width).astype(int)]
        plt.scatter(x[at].tolist(), y[at].tolist(), color=EDIT_COLOR, marker="x")
