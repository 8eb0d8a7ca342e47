"""One line: step, epoch, train and test loss, accuracy, steps/s while running, and the trainer's
status (the divergence message when training blew up)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from gradstep.live import pace_words
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
                    rate: float | None = None, pace: float | None | str = "",
                    pair=None) -> None:
        long = (self.size.width or 120) >= 100  # the words in full when there is room
        text = Text()
        # side by side, the counts are those of a network still going (A may have diverged)
        lead = trainer if pair is None else \
            next((t for t in pair.trainers if not t.diverged), trainer)
        text.append(f"step {lead.step_count}", style="bold")
        text.append(f"  epoch {lead.epoch_count}")
        shown = [("", trainer)] if pair is None else \
            [(pair.name_of(k), t) for k, t in enumerate(pair.trainers)]
        for name, t in shown:
            _, now = t.latest()
            if name:
                text.append(f"  {name}:", style="bold")
            text.append(f"  train loss {_loss(now.train_loss)}" if not name else
                        f" loss {_loss(now.train_loss)}")
            if not name:
                text.append(f"  {'test loss' if long else 'test'} {_loss(now.test_loss)}")
            accuracy = now.accuracy
            if math.isfinite(accuracy):
                text.append(f"  {'accuracy' if long and not name else 'acc'} {accuracy:.0%}")
        if running:
            text.append("  ▶ running " if long else "  ▶ ", style="bold green")
            if pace != "":
                text.append(pace_words(pace), style="bold green")
            if rate:
                text.append(f" · {rate:,.0f} steps/s", style="green")
        elif pace != "":
            text.append(f"  r runs at {pace_words(pace)} (< >)" if long else
                        f"  r: {pace_words(pace)}", style="dim")
        diverged = next((t for _, t in shown if t.diverged), None)
        if diverged is not None:
            text.append(f"  {printable(diverged.status, 300)}", style="bold")
        self.set_class(diverged is not None, "-diverged")
        self.update(text, layout=False)  # one line always: no layout pass per frame
