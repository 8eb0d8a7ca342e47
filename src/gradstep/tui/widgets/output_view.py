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
from textual.containers import Horizontal, Vertical
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
from gradstep.tui.widgets.readouts_view import number


def compact(value: float) -> str:
    """A number in the panes' one format (4 significant digits), without padding."""
    return number(value, 0)


class OutputView(Vertical):
    """The network's output for the data: curve (1 input), heatmap (2), rows (more)."""

    DEFAULT_CSS = """
    OutputView {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    OutputView > #output-curve, OutputView > #output-maps, OutputView > #output-table {
        height: 1fr;
    }
    OutputView #output-heatmap-b {
        display: none;
        margin-left: 1;
    }
    OutputView > #output-caption {
        height: auto;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.mode = ""   # "curve", "heatmap" or "table", set by the first update
        self.caption_rows = 2
        self.probe = None  # the point of the input plane the heatmap's probe is on
        self.pair = None   # A and B, when two networks learn side by side
        self._probed = 0   # which of them the probe reads
        self._trainer = None
        self._caption_shown = ""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="output-curve")
        with Horizontal(id="output-maps"):
            yield HeatmapCanvas(id="output-heatmap")
            yield HeatmapCanvas(id="output-heatmap-b")
        yield Static(id="output-table")
        yield Static(id="output-caption")

    def on_mount(self) -> None:
        self._set_mode("heatmap")

    def on_resize(self) -> None:
        if self._trainer is not None and self.mode in ("curve", "table"):
            self._draw(self._trainer)  # as drawn last: A and B stay side by side

    def _set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        for child, name in ((self.query_one("#output-curve"), "curve"),
                            (self.query_one("#output-maps"), "heatmap"),
                            (self.query_one("#output-table"), "table")):
            child.display = name == mode

    def update_pair(self, workspace, layer: int = 0) -> None:
        """A and B: their heatmaps side by side, both in the caption."""
        self.pair = list(workspace.trainers)
        self._draw(workspace.trainer)

    def update_from(self, trainer, layer: int = 0) -> None:
        """Redraw from the trainer's current network (layer is unused)."""
        self.pair = None
        self._draw(trainer)

    def _draw(self, trainer) -> None:
        self._trainer = trainer
        second = self.query_one("#output-heatmap-b", HeatmapCanvas)
        second.display = self.pair is not None
        inputs = trainer.network.sizes[0]
        names = [printable(n, 16) for n in trainer.raw_train.feature_names[:2]]
        if inputs == 1 and not trainer.on_plane:
            self._set_mode("curve")
            self._draw_curve(trainer)
            where = f"{names[0]} →; points: training data"
        elif trainer.on_plane:
            self._set_mode("heatmap")
            first = self.pair[0] if self.pair else trainer
            self.query_one("#output-heatmap", HeatmapCanvas).show(first)
            if self.pair:
                second.show(self.pair[1])
            axes = "x1 →, x2 ↑" if trainer.raw_train.features else \
                "{} →, {} ↑".format(*trainer.raw_train.feature_names)
            where = f"{axes}; orange − / blue +; dots: data"
            if trainer.is_classification and trainer.network.sizes[-1] > 1:
                where = f"{axes}; colour: class, brightness: confidence"
        else:
            self._set_mode("table")
            self._draw_table(trainer)
            where = f"{inputs} inputs: the heatmap needs 2 inputs"
        caption = self._caption(trainer, where) if not self.pair else \
            self._pair_caption(where)
        if self.probe is not None and self.mode == "heatmap":
            probed = self.pair[self._probed] if self.pair else trainer
            caption = self._probe_lines(probed)
        self.caption_rows = caption.plain.count("\n") + 1
        if caption.plain != self._caption_shown:
            # no layout pass while the number of lines stays: while training only digits change
            layout = caption.plain.count("\n") != self._caption_shown.count("\n")
            self.query_one("#output-caption", Static).update(caption, layout=layout)
            self._caption_shown = caption.plain

    def on_heatmap_canvas_probed(self, message: HeatmapCanvas.Probed) -> None:
        message.stop()
        self.probe = message.point
        self._probed = 1 if message.control.id == "output-heatmap-b" else 0
        if self._trainer is not None:
            self._draw(self._trainer)

    def _pair_caption(self, where: str) -> Text:
        """A's and B's accuracy (or loss) on one line, how to read the pictures on the next."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for name, t in zip("AB", self.pair):
            step, now = t.latest()
            if t.is_classification:
                value = "—" if math.isnan(now.accuracy) else f"{100 * now.accuracy:.1f}%"
                text.append(f"{name} accuracy {value}  ", style="bold")
            else:
                loss = now.test_loss if len(t.raw_test) else now.train_loss
                text.append(f"{name} {t.settings.loss} {number(loss, 0)}  ", style="bold")
        text.append("\nleft A, right B · " + where if self.mode == "heatmap" else "\n" + where)
        return text

    def _probe_lines(self, trainer) -> Text:
        """What the network computes at the probe: the inputs, each hidden layer, the outputs
        (for softmax the probabilities, their sum, and the Σw of the weights feeding them)."""
        from gradstep.names import trainer_names
        names = trainer_names(trainer)
        net = trainer.network
        point = np.asarray(self.probe, float).reshape(1, -1)
        acts = net.layer_outputs(trainer.plane_inputs(point))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("probe ", style="bold")
        text.append("  ".join(f"{n} {number(float(v), 0)}" for n, v in zip(("x1", "x2"),
                                                                           point[0])))
        if trainer.raw_train.features:  # what the network takes there
            inputs = trainer.raw_train.on_plane(point)[0]
            text.append("  (" + " ".join(f"{n} {number(float(v), 0)}" for n, v in
                                         zip(names[0], inputs)) + ")", style="dim")
        for k in range(1, min(net.depth, 3)):
            text.append(f"\nlayer {k}: ", style="dim")
            text.append(" ".join(number(float(v), 0) for v in acts[k][0][:12]))
        out = acts[-1][0]
        text.append("\n")
        if net.output == "softmax":
            text.append("p = [" + " ".join(f"{v:.2f}" for v in out[:10]) + "]")
            text.append(f"  Σp = {number(float(out.sum()), 0)}", style="bold")
            total = float(net.weights[-1].sum())
            text.append(f"  Σw W{net.depth - 1} = {number(total, 0)}", style="dim")
        else:
            text.append("  ".join(f"{n} {number(float(v), 0)}" for n, v in zip(names[-1], out)))
        return text

    # ---- pieces ------------------------------------------------------------------------
    @staticmethod
    def _caption(trainer, where: str) -> Text:
        """Two lines: how good the network is, then how to read the picture."""
        text = Text(no_wrap=True, overflow="ellipsis")
        step, now = trainer.latest()
        split = "test" if len(trainer.raw_test) else "train"
        stale = "" if step == trainer.step_count else f" at step {step:g}"
        metrics = trainer.metrics()
        if trainer.is_classification:
            accuracy = now.accuracy
            shown = "—" if math.isnan(accuracy) else f"{100 * accuracy:.1f}%"
            text.append(f"accuracy {shown}", style="bold")
            text.append(f" ({split}{stale})")
            if len(metrics.confusion) <= 3:  # true × predicted, row by row
                rows = " | ".join(" ".join(str(n) for n in row) for row in metrics.confusion)
                text.append(f"  confusion [{rows}]", style="dim")
        else:
            loss = now.test_loss if len(trainer.raw_test) else now.train_loss
            text.append(f"{trainer.settings.loss} {number(loss, 0)}", style="bold")
            text.append(f" ({split}{stale})")
            text.append(f"  R² {number(metrics.r2, 0)}  RMSE {number(metrics.rmse, 0)}")
        text.append("\n")
        text.append(where)
        return text

    @staticmethod
    def confusion_table(trainer) -> Text:
        """The confusion matrix: a row per true class, a column per predicted class."""
        matrix = trainer.metrics().confusion
        names = [printable(c, 5) for c in trainer.raw_train.target_names][:len(matrix)]
        width = max(5, *(len(str(n)) + 1 for n in matrix.ravel()), *(len(n) + 1 for n in names))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("true ↓  ", style="dim")
        text.append("".join(n.rjust(width) for n in names) + "\n", style="bold")
        for name, row in zip(names, matrix):
            text.append(name.ljust(8), style="bold")
            for k, n in enumerate(row):
                style = "bold green" if names[k] == name else ("red" if n else "dim")
                text.append(str(n).rjust(width), style=style)
            text.append("\n")
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
            confusion = self.confusion_table(trainer)
            text.append(f"confusion on the {split} split\n", style="bold")
            text.append_text(confusion)
            rows = max(0, rows - confusion.plain.count("\n") - 2)
            x, out = x[:rows], out[:rows]
            text.append(f"{split + ' class':>11} {'predicted':>9} {'confid.':>8}\n", style="bold")
            if out.shape[1] >= 2:
                labels, conf = class_confidence(out, trainer.network.output == "softmax")
            else:
                labels = predict_classes(trainer.network, out)
                conf = np.abs(signed_scale(out[:, 0], trainer))
            for target, label, c in zip(data.y[:rows], labels, conf):
                right = target == label
                text.append(f"{int(target):>11} {int(label):>9} {number(float(c))} "
                            f"{'✓' if right else '✗'}\n", style="" if right else "bold")
        else:
            name = printable(data.target_names[0] if data.target_names else "target", 9)
            text.append(f"{split + ' ' + name:>11} {'predicted':>9} {'error':>9}\n", style="bold")
            for target, predicted in zip(data.y[:rows, 0], out[:, 0]):
                error = float(predicted) - float(target)
                text.append(f"{number(float(target), 11)} {number(float(predicted), 9)} "
                            f"{number(error, 9)}\n")
        lines = text.plain.count("\n")
        # the same rows as last time need no layout pass (a reflow of the whole screen)
        table.update(text, layout=lines != getattr(table, "lines_shown", None))
        table.lines_shown = lines
