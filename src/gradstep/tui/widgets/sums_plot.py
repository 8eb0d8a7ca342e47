"""The weight sums over time: each layer's Σw against the step, a dotted line at 1 (where grade
percentages would sit), and the selected layer's neurons' incoming sums Σ_i W[i,j] as thinner
lines (each neuron's, or their min, median and max for a layer of more than 8). It grows as
training goes and marks edits, as the loss plot does; `w` switches between the two.
"""

from __future__ import annotations

import numpy as np

from gradstep.names import trainer_names
from gradstep.tui.widgets.step_plot import Series, StepPlot

LAYER_COLORS = [(8, 119, 189), (245, 147, 34), (39, 174, 96), (142, 68, 173), (231, 76, 60),
                (22, 160, 133)]
NEURON_COLORS = [(120, 120, 140), (150, 150, 170), (100, 130, 150), (140, 120, 120)]
ONE_COLOR = (200, 200, 80)


class SumsPlot(StepPlot):
    """Σw per layer against the step, the line at 1, the selected layer's neuron sums."""

    _layer = 0
    pair = None  # A and B, when two networks learn side by side

    def update_from(self, trainer, layer: int = 0) -> None:
        self.pair, self._again = None, None
        self._layer = min(layer, trainer.network.depth - 1)
        self.border_subtitle = self.legend(trainer)
        super().update_from(trainer, layer)

    def update_pair(self, workspace, layer: int = 0) -> None:
        """Each layer's Σw for A (lines) and B (dots), the line at 1."""
        self.pair = list(workspace.trainers)
        self._again = lambda: self.update_pair(workspace, layer)
        trainer = workspace.trainer
        self._layer = min(layer, trainer.network.depth - 1)
        self.border_subtitle = "A: lines · B: dots · " + self.legend(trainer).split(" · thin")[0]
        super().update_from(trainer, layer)

    def title_text(self) -> str:
        if self.pair:
            return "Σw per layer · A: lines · B: dots · dotted: 1"
        layer = self._layer
        width = (self.size.width or 80) - 12  # plotext drops a title wider than its canvas
        for title in (f"Σw of each layer · thin: into each neuron of W{layer} · dotted: 1 · "
                      f"{self.scale_words()}",
                      f"Σw per layer · thin: W{layer}'s neurons · dotted: 1",
                      "Σw per layer · dotted: 1", "Σw"):
            if len(title) <= width:
                return title
        return "Σw"

    def series(self, trainer, width: int) -> list[Series]:
        if self.pair:
            curves = []
            for k, t in enumerate(self.pair):
                for l in range(t.network.depth):
                    s = t.history.sums(l, t.network.sizes[l + 1])
                    if len(s.steps):
                        curves.append(Series(s.steps, s.total, LAYER_COLORS[l % len(LAYER_COLORS)],
                                             points=k == 1, marks=t is trainer))
            return curves + self._one(trainer, width, curves)
        return self._series(trainer, width)

    def _one(self, trainer, width, curves) -> list[Series]:
        """The dotted line at 1, along the x axis."""
        if not curves:
            return []
        x_hi = max(float(trainer.step_count), float(self.min_span(trainer)))
        xs = np.linspace(0, x_hi, max(2, width // 2))
        return [Series(xs, np.ones(len(xs)), ONE_COLOR, points=True)]

    def _series(self, trainer, width: int) -> list[Series]:
        net, history = trainer.network, trainer.history
        layer = min(self._layer, net.depth - 1)
        curves = []
        own = history.sums(layer, net.sizes[layer + 1])
        if len(own.steps) and own.neurons.shape[1] > 1:
            for k in range(own.neurons.shape[1]):
                curves.append(Series(own.steps, own.neurons[:, k],
                                     NEURON_COLORS[k % len(NEURON_COLORS)]))
        for l in range(net.depth):
            series = history.sums(l, net.sizes[l + 1])
            if len(series.steps):
                curves.append(Series(series.steps, series.total,
                                     LAYER_COLORS[l % len(LAYER_COLORS)]))
        # the line a layer's weights would sit on if they were shares
        return curves + self._one(trainer, width, curves)

    def legend(self, trainer) -> str:
        """Which colour is which layer, for the border: W0 blue, W1 orange, …"""
        names = ("blue", "orange", "green", "purple", "red", "teal")
        net = trainer.network
        shown = [f"W{l} {names[l % len(names)]}" for l in range(min(net.depth, 6))]
        spread = net.sizes[self._layer + 1] > 8
        neurons = trainer_names(trainer)[self._layer + 1]
        thin = "min/median/max" if spread else ", ".join(neurons[:8])
        return " · ".join(shown) + f" · thin: {thin}"
