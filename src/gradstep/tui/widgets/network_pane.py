"""The network's layers in order (sizes, activations) and the training settings.

The selected weight layer l (the one the weights grid shows) joins neuron layers l and l+1;
neuron layer l+1 is the one that neuron and activation edits act on.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def layer_name(layer: int, depth: int) -> str:
    if layer == 0:
        return "input"
    return "output" if layer == depth else "hidden"


class NetworkPane(Static):
    DEFAULT_CSS = """
    NetworkPane {
        padding: 0 1;
    }
    """

    _shown = ""
    _spans: list = []
    rows_needed = 0  # lines the pane's text takes (the layout reads it)

    def update_from(self, trainer, layer: int = 0) -> None:
        net, s = trainer.network, trainer.settings
        text = Text()
        for k, size in enumerate(net.sizes):
            target = k == layer + 1
            mark = "▸ " if target else "  "
            style = "bold reverse" if target else ""
            activation = "" if k == 0 else net.activation_of(k)
            text.append(f"{mark}{k} {layer_name(k, net.depth):<6}{size:>4} {activation}",
                        style=style)
            text.append("\n")
            if k < net.depth:
                chosen = k == layer
                arrow = f"  │ W{k} {size}×{net.sizes[k + 1]}"
                text.append(arrow + (" ◂ grid" if chosen else "") + "\n",
                            style="bold cyan" if chosen else "dim")
        text.append(f"{net.parameter_count():,} parameters\n", style="dim")
        text.append("settings", style="bold underline")
        text.append(" (s to change)\n", style="dim")
        rows = [(("lr", f"{s.learning_rate:g}"), ("batch", str(s.batch_size))),
                (("opt", s.optimizer), None), (("loss", s.loss), None),
                (("L1", f"{s.l1:g}"), ("L2", f"{s.l2:g}")),
                (("constraint", net.constraint), None),
                (("standardize", "on" if s.standardize else "off"), None),
                (("init (x)", net.init), None)]
        for (a, va), second in rows:
            text.append(f" {a:<{max(6, len(a) + 1)}}", style="dim")
            text.append(f"{va:<7}" if second else va)
            if second:
                text.append(f" {second[0]:<6}", style="dim")
                text.append(second[1])
            text.append("\n")
        text.rstrip()
        if text.plain == self._shown and text.spans == self._spans:
            return  # unchanged while training runs: no refresh, no layout pass
        layout = text.plain.count("\n") != self._shown.count("\n")
        self._shown, self._spans = text.plain, text.spans
        self.rows_needed = text.plain.count("\n") + 1
        self.update(text, layout=layout)
