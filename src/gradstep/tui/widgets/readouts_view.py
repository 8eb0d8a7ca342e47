"""The weight sums, per layer and in total, read from trainer.readouts(), and the comparisons a
lesson proves itself with.

The lesson: nothing makes a layer's weights add up to 1 (grade percentages do; weights don't).
Σw is bold and coloured by how near it is to 1. What a lesson's proof needs comes first: the
learned weights beside the exact least-squares optimum (a network with no hidden layer), the
softmax probabilities' sum against the output layer's Σw; then the table per layer; then the
selected layer's incoming sum into each neuron. Columns that do not fit beside each other go
into a second table below. Every number has one format: 4 significant digits, right-aligned.
"""

from __future__ import annotations

import math

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from gradstep.names import trainer_names
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
    elif 1e-2 <= abs(float(f"{value:.4g}")) < 1e5:  # as rounded: 0.99996 is 1.000, not 1.0000
        rounded = float(f"{value:.4g}")
        text = f"{value:.{max(0, 3 - math.floor(math.log10(abs(rounded))))}f}"
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
SIGNAL = (  # with batch norm (or when a lesson asks): the signal each activation takes in
    ("mean z", "signal_mean"), ("var z", "signal_var"), ("γ mean", "gamma_mean"),
    ("β mean", "beta_mean"),
)


BARRED = ("grad_norm", "mean_abs_activation")  # shown with a bar on a log scale too
BAR = 8                       # cells of a bar
BAR_LOW, BAR_HIGH = -5, 1     # a bar spans 1e-5 (empty) to 10 (full): a decade is 1⅓ cells
EIGHTHS = " ▏▎▍▌▋▊▉█"


def log_bar(value: float | None, cells: int = BAR) -> str:
    """A bar whose length is log10(value) between 1e-5 and 10: a vanishing signal is a
    staircase of shrinking bars down the layers."""
    if value is None or not math.isfinite(value) or value <= 0:
        return " " * cells
    t = (math.log10(value) - BAR_LOW) / (BAR_HIGH - BAR_LOW)
    eighths = round(min(max(t, 0.0), 1.0) * cells * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(cells)


def column_width(field: str, bar: int = BAR) -> int:
    return WIDTH + (bar + 1 if field in BARRED else 0)


def bar_cells(room: int) -> int:
    """A bar's cells where a table has `room` beside its labels: shorter bars in a narrow
    pane (B beside A) rather than labels cut to "W0 …"."""
    return max(2, min(BAR, room - WIDTH - 2))


def layer_label(sizes, layer: int) -> str:
    return f"W{layer} {sizes[layer]}→{sizes[layer + 1]}"


def _table() -> Table:
    return Table(box=None, padding=(0, 1, 0, 0), show_edge=False, pad_edge=False,
                 header_style="bold", expand=False)


class ReadoutsView(VerticalScroll):
    """The lesson's comparisons, a table of per-layer sums, each neuron's incoming sum."""

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

    rows_needed = 0  # lines the readouts take at the pane's width (the layout reads it)
    focus: tuple[str, ...] = ()  # the lesson's readouts: their columns come first

    def compose(self):
        yield Static(id="readouts-body")

    def update_from(self, trainer, layer: int = 0) -> None:
        self._trainer, self._layer, self._pair = trainer, layer, None
        width = max(20, (self.size.width or 80) - 1)
        self._show(self.render_readouts(trainer, layer, width, self.focus), width)

    def update_pair(self, workspace, layer: int = 0) -> None:
        """A's readouts and B's side by side, each under its name."""
        self._trainer, self._layer, self._pair = workspace.trainer, layer, workspace
        width = max(20, (self.size.width or 80) - 1)
        half = max(10, (width - 3) // 2)
        grid = Table.grid(padding=(0, 3, 0, 0), expand=False)
        grid.add_column(width=half)
        grid.add_column(width=half)
        titles = [Text("A", style="bold reverse" if workspace.active == 0 else "bold"),
                  Text("B: " + workspace.compare_title, style="bold reverse"
                       if workspace.active == 1 else "bold", no_wrap=True, overflow="ellipsis")]
        grid.add_row(*titles)
        grid.add_row(*(self.render_readouts(t, layer, half, self.focus)
                       for t in workspace.trainers))
        self._show(grid, width)

    def on_resize(self) -> None:
        if getattr(self, "_pair", None) is not None:
            self.update_pair(self._pair, self._layer)
        elif getattr(self, "_trainer", None) is not None:
            self.update_from(self._trainer, self._layer)

    def _show(self, body, width: int) -> None:
        self.body = body
        # the rows the readouts take depend on the network's shape, not on its numbers:
        # measure them (a whole Rich render) only when the shape changes, not every frame
        t = self._trainer
        shape = (width, self._layer, tuple(t.network.sizes), t.network.output, self.focus,
                 self._pair is not None, t.least_squares_applies, bool(t.settings.l1 or
                                                                        t.settings.l2))
        layout = shape != getattr(self, "_measured", None)
        if layout:
            self._measured = shape
            self.rows_needed = len(Console(width=width, color_system=None)
                                   .render_lines(body, pad=False))
        # a layout pass is a reflow of the whole screen (tens of ms beside B): only when the
        # rows change, which they do only with the shape
        self.query_one("#readouts-body", Static).update(body, layout=layout)

    # ---- building (pure: trainer in, Rich renderable out) -------------------------------
    @classmethod
    def render_readouts(cls, trainer, layer: int = 0, width: int = 80, focus=()) -> Group:
        net = trainer.network
        readouts = trainer.readouts()
        layer = min(max(int(layer), 0), net.depth - 1)
        names = trainer_names(trainer)
        parts = cls._proofs(trainer, readouts, names)
        label_width = max(len("total"), *(len(layer_label(net.sizes, l)) for l in range(net.depth)))
        wanted = COLUMNS + (SIGNAL if any(getattr(net, "batch_norm", ())) or
                            any(f in focus for _, f in SIGNAL) else ())
        # the lesson's columns first, in the lesson's order; then the rest in reading order
        columns = sorted(wanted, key=lambda c: focus.index(c[1]) if c[1] in focus else
                         len(focus))
        room = width - label_width - 1
        bar = bar_cells(room)
        parts += [cls._table(trainer, readouts, layer, label_width, group, bar)
                  for group in cls._groups(columns, room, bar)]
        parts += cls._neuron_sums(trainer, readouts, layer, names, width)
        return Group(*parts)

    @staticmethod
    def _groups(columns, room: int, bar: int = BAR):
        """The columns in tables that each fit `room` cells, in order."""
        groups, group, used = [], [], 0
        for column in columns:
            cells = column_width(column[1], bar) + 1
            if group and used + cells > room:
                groups.append(group)
                group, used = [], 0
            group.append(column)
            used += cells
        return groups + [group] if group else groups

    @classmethod
    def _table(cls, trainer, readouts, layer, label_width, columns, bar=BAR):
        net = trainer.network
        table = _table()
        table.add_column("layer", width=label_width, no_wrap=True)
        for header, field in columns:
            table.add_column(header, justify="right" if field not in BARRED else "left",
                             width=column_width(field, bar), no_wrap=True)
        for r in readouts.layers:
            style = "reverse" if r.layer == layer and net.depth > 1 else ""
            table.add_row(Text(layer_label(net.sizes, r.layer), style=style),
                          *cls._cells(r, columns, bar=bar))
        if net.depth > 1 and any(field not in ("grad_norm", "mean_abs_activation")
                                 for _, field in columns):
            table.add_row(Text("total", style="bold"), *cls._cells(readouts, columns, total=True,
                                                                   bar=bar))
        return table

    @staticmethod
    def _cells(r, columns, total=False, bar=BAR):
        cells = []
        for _, field in columns:
            if field == "sum":
                cells.append(Text(number(r.sum), style=sum_style(r.sum)))
            elif total and field in BARRED + tuple(f for _, f in SIGNAL):
                cells.append(Text(""))
            elif field in BARRED:
                value = getattr(r, field)
                cell = Text(number(value))
                cell.append(" " + log_bar(value, bar), style="green" if value is not None and
                            value >= 1e-2 else "yellow" if value is not None and value >= 1e-4
                            else "red")
                cells.append(cell)
            else:
                cells.append(Text(number(getattr(r, field))))
        return cells

    @staticmethod
    def _proofs(trainer, readouts, names):
        """What a lesson proves itself with, first: least squares, Σp, the penalty."""
        net, lines = trainer.network, []
        optimum = trainer.least_squares()
        if optimum is not None:
            lines.append(Text("learned vs least squares (the exact mse fit)", style="bold",
                              no_wrap=True, overflow="ellipsis"))
            lines.append(ReadoutsView._least_squares(trainer, names, *optimum))
        out = readouts.layers[-1]
        if readouts.output_probability_sum is not None:
            line = Text()
            line.append(f"Σp = {number(readouts.output_probability_sum, 0)}", style="bold")
            line.append(" softmax outputs, always; ")
            line.append(f"Σw = {number(out.sum, 0)}", style=sum_style(out.sum))
            line.append(f" weights of {layer_label(net.sizes, net.depth - 1)}")
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
        return lines

    @staticmethod
    def _neuron_sums(trainer, readouts, layer, names, width):
        """Σ into each neuron of the selected layer, by name: h1 0.1995 · h2 -0.3791 …"""
        sums = readouts.layers[layer].neuron_sums
        line = Text(no_wrap=False)
        line.append(f"Σ in, W{layer}: ", style="bold")
        for j, s in enumerate(sums[:MAX_NEURONS]):
            if j:
                line.append(" · ", style="dim")
            line.append(f"{names[layer + 1][j]} ", style="dim")
            line.append(number(float(s), 0), style=sum_style(float(s)))
        if len(sums) > MAX_NEURONS:
            line.append(f" … ({len(sums)} neurons)", style="dim")
        return [line]

    @staticmethod
    def _least_squares(trainer, names, weights, biases):
        """Learned weights and bias beside the exact mse optimum (linear regression only)."""
        net = trainer.network
        w, b = net.weights[0], net.biases[0]
        table = _table()
        table.add_column("", no_wrap=True, max_width=12)
        k = w.shape[1]
        for j in range(k):
            suffix = f" {names[1][j]}" if k > 1 else ""
            table.add_column("learned" + suffix, justify="right", width=WIDTH, no_wrap=True)
            table.add_column("optimum" + suffix, justify="right", width=WIDTH, no_wrap=True)
        for i, name in enumerate(names[0]):
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
