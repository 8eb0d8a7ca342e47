"""One line: step, epoch, train and test loss, accuracy, steps/s while running, and the trainer's
status (the divergence message when training blew up)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from gradstep.text import printable


def _loss(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    StatusLine.-diverged {
        background: $error 40%;
    }
    """

    def update_from(self, trainer, layer: int = 0, *, running: bool = False,
                    rate: float | None = None) -> None:
        _, now = trainer.latest()
        text = Text()
        text.append(f"step {trainer.step_count}", style="bold")
        text.append(f"  epoch {trainer.epoch_count}")
        text.append(f"  train loss {_loss(now.train_loss)}")
        text.append(f"  test loss {_loss(now.test_loss)}")
        accuracy = now.accuracy
        if math.isfinite(accuracy):
            text.append(f"  accuracy {accuracy:.0%}")
        if running:
            text.append("  ▶ running", style="bold green")
            if rate:
                text.append(f" {rate:,.0f} steps/s", style="green")
        if trainer.diverged:
            text.append(f"  {printable(trainer.status, 300)}", style="bold")
        self.set_class(trainer.diverged, "-diverged")
        self.update(text, layout=False)  # one line always: no layout pass per frame
