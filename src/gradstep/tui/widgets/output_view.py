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
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from gradstep.budget import forward_points
from gradstep.targets import class_confidence, low_label, predict_classes
from gradstep.text import printable
from gradstep.tui.widgets.colors import (
    BLUE,
    CLASS_COLORS,
    MAX_POINTS,
    ORANGE,
    clean,
    domain,
    pick,
    signed_scale,
)
from gradstep.tui.widgets.heatmap import HeatmapCanvas


def compact(value: float) -> str:
    """A number in at most about 8 characters."""
    if not math.isfinite(value):
        return "—" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"



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
        names = [printable(n, 16) for n in trainer.raw_train.feature_names[:2]]
        if inputs == 1:
            self._set_mode("curve")
            self._draw_curve(trainer)
            where = f"{names[0]} →; points: training data"
        elif inputs == 2:
            self._set_mode("heatmap")
            self.query_one(HeatmapCanvas).show(trainer)
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
        points = forward_points(trainer.network.parameter_count(), 2 * width)
        xs = np.linspace(lo[0], hi[0], points)  # fewer points when the network is huge
        out = clean(np.asarray(trainer.predict(xs[:, None])))
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
        out = clean(np.asarray(trainer.predict(x)))
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
            name = printable(data.target_names[0] if data.target_names else "target", 9)
            text.append(f"{split + ' ' + name:>11}{'predicted':>10}{'error':>9}\n", style="bold")
            for target, predicted in zip(data.y[:rows, 0], out[:, 0]):
                error = float(predicted) - float(target)
                text.append(f"{compact(float(target)):>11}{compact(float(predicted)):>10}"
                            f"{compact(error):>9}\n")
        table.update(text)
