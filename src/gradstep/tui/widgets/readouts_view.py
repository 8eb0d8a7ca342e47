"""The weight sums, per layer and in total, read from trainer.readouts().

The lesson: nothing makes a layer's weights add up to 1 (grade percentages do; weights don't).
Σw is bold and coloured by how near it is to 1; for a softmax output the probabilities' sum
(always 1) is set against the output layer's Σw (anything). Columns that do not fit beside each
other go into a second table below, so a narrow pane still shows every readout.
"""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from gradstep.text import printable

WIDTH = 8          # every number is right-aligned in this many cells, so the table never jitters
NEAR_ONE = 0.05    # |Σw − 1| below this counts as "about 1"
MAX_NEURONS = 24   # neuron sums shown for the selected layer at most


def number(value: float | None, width: int = WIDTH) -> str:
    """value in 4 significant digits, right-aligned in `width` cells; "—" when absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = "—"
    elif not math.isfinite(value):
        text = "∞" if value > 0 else "-∞"
    elif value == 0:
        text = "0"
    elif 1e-2 <= abs(value) < 1e5:
        text = f"{value:.{max(0, 3 - math.floor(math.log10(abs(value))))}f}"
    else:
        exponent = int(f"{value:e}".split("e")[1])
        mantissa = value / 10.0 ** exponent
        text = f"{mantissa:.{2 if -10 < exponent < 10 else 1}f}e{exponent}"
        if text.startswith(("10.", "-10.")):  # 9.996e-5 rounds up a decade
            text = f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    return text.rjust(width)


def sum_style(total: float) -> str:
    """Σw's style: bold always; yellow when it happens to be about 1, cyan when it is not."""
    if not math.isfinite(total):
        return "bold red"
    return "bold yellow" if abs(total - 1) < NEAR_ONE else "bold cyan"


COLUMNS = (  # (header, field), in reading order; wrapped into further tables when narrow
    ("Σw", "sum"), ("Σ|w|", "abs_sum"), ("Σw²", "sq_sum"), ("Σb", "bias_sum"),
    ("‖∇‖", "grad_norm"), ("mean|a|", "mean_abs_activation"),
)


def layer_label(sizes, layer: int) -> str:
    return f"W{layer} {sizes[layer]}→{sizes[layer + 1]}"


class ReadoutsView(VerticalScroll):
    """A table of per-layer weight sums, then the lesson's comparisons (scrolls when short)."""

    can_focus = False  # the app's keys step training; the mouse wheel still scrolls

    DEFAULT_CSS = """
    ReadoutsView {
        width: 1fr;
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    ReadoutsView > #readouts-body {
        width: 1fr;
        height: auto;
    }
    """

    def compose(self):
        yield Static(id="readouts-body")

    def on_resize(self) -> None:
        if getattr(self, "_trainer", None) is not None:
            self.update_from(self._trainer, self._layer)

    def update_from(self, trainer, layer: int = 0) -> None:
        self._trainer, self._layer = trainer, layer
        self.body = self.render_readouts(trainer, layer, self.size.width or 80)
        self.query_one("#readouts-body", Static).update(self.body)

    # ---- building (pure: trainer in, Rich renderable out) -------------------------------
    @classmethod
    def render_readouts(cls, trainer, layer: int = 0, width: int = 80) -> Group:
        net = trainer.network
        readouts = trainer.readouts()
        layer = min(max(int(layer), 0), net.depth - 1)
        label_width = max(len(layer_label(net.sizes, l)) for l in range(net.depth))
        label_width = max(label_width, len("total"))
        fits = max(1, (width - label_width - 1) // (WIDTH + 1))
        parts = [cls._table(trainer, readouts, layer, label_width, COLUMNS[start:start + fits])
                 for start in range(0, len(COLUMNS), fits)]
        parts += cls._lesson_lines(trainer, readouts, layer)
        return Group(*parts)

    @classmethod
    def _table(cls, trainer, readouts, layer, label_width, columns):
        net = trainer.network
        table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, pad_edge=False,
                      header_style="bold", expand=False)
        table.add_column("layer", width=label_width, no_wrap=True)
        for header, _ in columns:
            table.add_column(header, justify="right", width=WIDTH, no_wrap=True)
        for r in readouts.layers:
            style = "reverse" if r.layer == layer else ""
            table.add_row(Text(layer_label(net.sizes, r.layer), style=style),
                          *cls._cells(r, columns))
        if any(field not in ("grad_norm", "mean_abs_activation") for _, field in columns):
            table.add_row(Text("total", style="bold"), *cls._cells(readouts, columns, total=True))
        return table

    @staticmethod
    def _cells(r, columns, total=False):
        cells = []
        for _, field in columns:
            if field == "sum":
                cells.append(Text(number(r.sum), style=sum_style(r.sum)))
            elif total and field in ("grad_norm", "mean_abs_activation"):
                cells.append(Text(""))
            else:
                cells.append(Text(number(getattr(r, field))))
        return cells

    @staticmethod
    def _lesson_lines(trainer, readouts, layer):
        net = trainer.network
        lines = []
        out = readouts.layers[-1]
        if readouts.output_probability_sum is not None:
            line = Text()
            line.append(f"Σp = {readouts.output_probability_sum:.3f}", style="bold")
            line.append(" (outputs) vs ")
            line.append(f"Σw = {out.sum:.4g}", style=sum_style(out.sum))
            line.append(f" (weights of {layer_label(net.sizes, net.depth - 1)})")
            lines.append(line)
        elif net.output == "softmax":
            lines.append(Text("Σp (softmax outputs) appears after the first step", style="dim"))
        settings = trainer.settings
        if settings.l1 or settings.l2:
            terms = " + ".join(t for t, on in ((f"{settings.l1:g}·Σ|w|", settings.l1),
                                               (f"{settings.l2:g}·Σw²", settings.l2)) if on)
            line = Text(f"penalty {terms} = ")
            line.append(number(trainer.penalty(), 0), style="bold")
            lines.append(line)
        r = readouts.layers[layer]
        sums = r.neuron_sums
        line = Text(f"{layer_label(net.sizes, layer)} into each neuron, Σ_i W[i,j]:", style="bold")
        lines.append(line)
        shown = Text()
        for j, s in enumerate(sums[:MAX_NEURONS]):
            shown.append(f" n{j}=", style="dim")
            shown.append(number(float(s), 0), style=sum_style(float(s)))
        if len(sums) > MAX_NEURONS:
            shown.append(f"… ({len(sums)} neurons)", style="dim")
        lines.append(shown)
        optimum = trainer.least_squares()
        if optimum is not None:
            lines.append(Text("learned vs least-squares optimum (exact mse fit):", style="bold"))
            lines.append(ReadoutsView._least_squares(trainer, *optimum))
        return lines

    @staticmethod
    def _least_squares(trainer, weights, biases):
        """Learned weights and bias beside the exact mse optimum (linear regression only)."""
        net = trainer.network
        names = list(trainer.raw_train.feature_names)
        w, b = net.weights[0], net.biases[0]
        table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, pad_edge=False,
                      header_style="bold")
        table.add_column("", no_wrap=True, max_width=12)
        k = w.shape[1]
        for j in range(k):
            suffix = f" y{j}" if k > 1 else ""
            table.add_column("learned" + suffix, justify="right", width=WIDTH, no_wrap=True)
            table.add_column("optimum" + suffix, justify="right", width=WIDTH, no_wrap=True)
        for i, name in enumerate(names):
            row = []
            for j in range(k):
                row += [number(float(w[i, j])), number(float(weights[i, j]))]
            table.add_row(Text(printable(name, 12)), *row)  # a CSV column's name: not markup
        if net.bias:
            row = []
            for j in range(k):
                row += [number(float(b[j])), number(float(biases[j]))]
            table.add_row("bias", *row)
        row = []
        for j in range(k):
            learned, best = float(w[:, j].sum()), float(weights[:, j].sum())
            row += [Text(number(learned), style=sum_style(learned)),
                    Text(number(best), style=sum_style(best))]
        table.add_row(Text("Σw", style="bold"), *row)
        return table
