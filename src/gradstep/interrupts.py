"""Ctrl-C and SIGTERM on the command line: a run stops between two steps, never inside one.

`Signals` replaces the handlers of SIGINT and SIGTERM for the life of a command. Outside a
run, a signal raises `Interrupted` at once (a BaseException, so no `except Exception` swallows
it, and an atomic write under way removes its temporary file). During a run (`with
signals.run():`), the first signal only asks the run to stop: `stop_requested` is checked after
every step, so the trainer stops whole, its summary is printed and `--save` is written. A
second signal during the run raises Interrupted as before.

A run shows its progress on stderr when stderr is a terminal (`Progress`).
"""

from __future__ import annotations

import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager

NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """A signal asked gradstep to stop now; exit status 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(NAMES.get(signum, f"signal {signum}"))
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum


class Signals:
    def __init__(self) -> None:
        self.signum: int | None = None   # the signal that asked the run to stop
        self._running = False
        self._old: dict = {}

    def _handle(self, signum, frame) -> None:
        if self._running and self.signum is None:
            self.signum = signum
            return
        raise Interrupted(signum)

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for s in NAMES:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()

    @contextmanager
    def run(self):
        """While training: the first signal sets `signum` instead of raising."""
        self._running = True
        try:
            yield self
        finally:
            self._running = False

    @property
    def stop_requested(self) -> bool:
        return self.signum is not None

    @property
    def status(self) -> int:
        return 0 if self.signum is None else 128 + self.signum


class Progress:
    """A one-line progress report on stderr (steps, loss, steps/s, time left), redrawn at most
    four times a second; silent unless `enabled`. Called after every step as a run's `stop`,
    it returns whether the signals asked the run to stop."""

    EVERY = 64          # steps between two looks at the clock
    INTERVAL = 0.25     # seconds between two redraws

    def __init__(self, trainer, total: int, signals: Signals, enabled: bool,
                 stream=None) -> None:
        self.trainer, self.total, self.signals = trainer, total, signals
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.done = 0
        self.start = time.monotonic()
        self.next_draw = self.start + self.INTERVAL
        self.drawn = False

    def __call__(self) -> bool:
        self.done += 1
        if self.enabled and not self.done % self.EVERY:
            now = time.monotonic()
            if now >= self.next_draw:
                self.next_draw = now + self.INTERVAL
                self.draw(now)
        return self.signals.signum is not None

    def draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        share = self.done / self.total if self.total else 1.0
        loss = self.trainer.last_loss
        text = (f"step {self.done:,} of {self.total:,} ({share:.0%})  loss {loss:.4g}  "
                f"{rate:,.0f} steps/s  {duration(left)} left  (Ctrl-C stops and keeps the run)")
        width = shutil.get_terminal_size((80, 24)).columns - 1  # a wrapped line would not redraw
        self.stream.write("\r" + text[:max(width, 20)] + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
