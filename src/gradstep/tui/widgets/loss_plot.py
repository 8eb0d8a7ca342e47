"""The loss as training goes: every mini-batch's loss faint, their running mean over an epoch
in blue (the trend through the noise), the test loss at each epoch's end in orange; edits
marked; the y axis turns log by itself once the loss spans more than two decades (`g` cycles
auto, log, linear).
"""

from __future__ import annotations

import numpy as np

from gradstep.tui.widgets.step_plot import (  # noqa: F401  (re-exported for tests)
    Series,
    StepPlot,
    distinct_labels,
    downsample,
    nice_ticks,
    short_number,
)

TRAIN_COLOR = (8, 119, 189)    # playground blue
TEST_COLOR = (245, 147, 34)    # playground orange
BATCH_COLOR = (88, 88, 96)     # faint: each mini-batch
B_TRAIN_COLOR = (39, 174, 96)  # B, beside A: green and red
B_TEST_COLOR = (231, 76, 60)


def running_mean(y: np.ndarray, window: int) -> np.ndarray:
    """The mean of the last `window` values at each point (fewer at the start)."""
    window = max(1, int(window))
    total = np.cumsum(y)
    out = np.empty_like(total)
    out[:window] = total[:window] / np.arange(1, min(window, len(y)) + 1)
    out[window:] = (total[window:] - total[:-window]) / window
    return out


class LossPlot(StepPlot):
    """Train (blue, the mean of an epoch of mini-batches; each batch faint) and test (orange)
    loss against the step."""

    pair = None  # A and B, when two networks learn side by side

    def update_from(self, trainer, layer: int = 0) -> None:
        self.pair, self._again = None, None
        super().update_from(trainer, layer)

    def update_pair(self, workspace, layer: int = 0) -> None:
        """A's train and test loss (blue, orange) beside B's (green, red)."""
        self.pair = list(workspace.trainers)
        self._again = lambda: self.update_pair(workspace, layer)
        super().update_from(workspace.trainer, layer)

    def title_text(self) -> str:
        width = (self.size.width or 80) - 12  # plotext drops a title wider than its canvas
        if self.pair:
            for title in (f"A: train blue, test orange · B: train green, test red · "
                          f"{self.scale_words()}", "A blue/orange · B green/red",
                          "A · B"):
                if len(title) <= width:
                    return title
            return ""
        for title in (f"blue: train (epoch mean) · grey: batches · orange: test · "
                      f"{self.scale_words()}",
                      f"blue: train · grey: batches · orange: test · {self.scale_words()}",
                      f"train · test · {self.scale_words()}"):
            if len(title) <= width:
                return title
        return self.scale_words()

    def series(self, trainer, width: int) -> list[Series]:
        if self.pair:
            curves = []
            for t, (train, test) in zip(self.pair, ((TRAIN_COLOR, TEST_COLOR),
                                                    (B_TRAIN_COLOR, B_TEST_COLOR))):
                mean, test_curve = self._curves(t)
                curves += [Series(test_curve.x, test_curve.y, test),
                           Series(mean.x, mean.y, train, marks=t is trainer)]
            return curves
        return self._single(trainer)

    def _curves(self, trainer):
        """(the train trend, the test loss) of one trainer."""
        curves = self._single(trainer)
        return curves[-1], curves[-2]

    def _single(self, trainer) -> list[Series]:
        history = trainer.history
        n = len(history)  # read once: a running trainer may add rows meanwhile
        steps = history.column("step")[:n]
        test = history.column("test_loss")[:n]
        train = history.column("train_loss")[:n]
        step, now = trainer.latest()
        if now is not None and (not n or step > steps[-1]):  # the evaluation of now
            steps = np.append(steps, step)
            test, train = np.append(test, now.test_loss), np.append(train, now.train_loss)
        bx, by = history.losses()
        # drawn in this order: the faint batches behind, the test loss, the train trend on top
        if len(by):
            window = max(1, getattr(trainer, "steps_per_epoch", 1) // history.stride)
            return [Series(bx, by, BATCH_COLOR, points=True),
                    Series(steps, test, TEST_COLOR),
                    Series(bx, running_mean(by, window), TRAIN_COLOR, marks=True)]
        return [Series(steps, test, TEST_COLOR), Series(steps, train, TRAIN_COLOR, marks=True)]
