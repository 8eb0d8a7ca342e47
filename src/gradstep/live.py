"""Training that runs while a person watches: a thread, a lock, a pace (no Textual).

The trainer is the one source of truth, and two threads touch it: the training thread, which
steps it in chunks, and the thread that draws and edits (the app's). Both go through the lock
here. A reader or writer asks for it with `hold()`, and the training thread hands it over
after its current step (not its whole chunk), so a key waits for one step at most.

The pace is a target rate: epochs per second (as TensorFlow Playground advances one epoch per
frame), or None for as fast as it goes. At a pace, the thread takes the steps that are due
since the run (or the pace) started, then sleeps until the next one is due: a slow lesson
unfolds evenly instead of in bursts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

CHUNK_SECONDS = 0.02     # the thread holds the lock for about this long per chunk
RATE_WINDOW = 0.5        # steps/s is measured over windows of this length
MAX_BEHIND = 0.25        # after a stall, at most this many seconds of steps are made up
PACES = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)  # epochs per second; None: as fast as it goes
DEFAULT_PACE = 10
MAX_PACE = 10_000


def pace_words(pace: float | None) -> str:
    return "max" if pace is None else f"{pace:g} epoch/s"


def parse_pace(value) -> float | None:
    """A pace as written (a number of epochs per second, or "max"); ValueError saying why."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "max":
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"must be a number of epochs per second or \"max\", got "
                             f"{value[:20]!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not (0 < float(value) <= MAX_PACE):
        raise ValueError(f"must be a number of epochs per second above 0 and at most "
                         f"{MAX_PACE:,}, or \"max\", got {value!r}")
    return float(value)


def next_pace(pace: float | None, step: int) -> float | None:
    """The pace one rung up (step 1) or down (step -1) the ladder from `pace`."""
    if pace is None:
        return PACES[-2] if step < 0 else None
    if step > 0:
        return next((p for p in PACES[:-1] if p > pace), None)
    lower = [p for p in PACES[:-1] if p < pace]
    return lower[-1] if lower else PACES[0]


class LiveTrainer:
    """Runs `target.run(steps, stop=...)` in a thread at a pace, under one lock.

    target: a Trainer, or anything with run(steps, stop) -> steps done, `diverged`, and
    `steps_per_epoch` (a pair of trainers in lockstep is one). on_stop(diverged) is called from
    the training thread when a run ends by itself (divergence), not when stop() ends it."""

    def __init__(self, target, pace: float | None = None,
                 on_stop: Callable[[bool], None] | None = None) -> None:
        self.target = target
        self.pace = pace
        self.on_stop = on_stop
        self.rate: float | None = None  # measured steps per second while running
        self._lock = threading.Lock()
        self._waiting = threading.Event()    # someone wants the lock: the thread yields it
        self._cancel = threading.Event()
        self._pace_changed = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the lock ------------------------------------------------------------------------
    @contextmanager
    def hold(self):
        """Hold the lock (the training thread hands it over after its current step)."""
        self._waiting.set()
        try:
            with self._lock:
                self._waiting.clear()
                yield self.target
        finally:
            self._waiting.clear()

    def read(self, fn):
        """fn(target) under the lock: a consistent view, never half a step."""
        with self.hold() as target:
            return fn(target)

    def mutate(self, fn):
        """fn(target) under the lock, between two steps of a run."""
        with self.hold() as target:
            return fn(target)

    # ---- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._cancel.is_set()

    def start(self) -> None:
        if self.running:
            return
        self.stop()
        self._cancel = threading.Event()
        self.rate = None
        self._thread = threading.Thread(target=self._run, args=(self._cancel,),
                                        name="gradstep-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the run after the current step; returns when the thread has ended."""
        self._cancel.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.rate = None

    def set_pace(self, pace: float | None) -> None:
        """A new pace (epochs per second, None: max), from the next chunk on."""
        self.pace = pace
        self._pace_changed.set()

    def _steps_per_second(self) -> float | None:
        if self.pace is None:
            return None
        return self.pace * max(1, self.target.steps_per_epoch)

    def _run(self, cancel: threading.Event) -> None:
        diverged = False
        start, done = time.perf_counter(), 0   # the pace's clock and the steps since it started
        window_start, window_steps = start, 0
        while not cancel.is_set():
            with self._lock:
                if cancel.is_set():  # stopped while waiting for the lock
                    break
                now = time.perf_counter()
                if self._pace_changed.is_set():
                    self._pace_changed.clear()
                    start, done = now, 0
                rate = self._steps_per_second()
                end = now + CHUNK_SECONDS
                if rate is None:
                    due = 10**9   # a chunk ends on time, on a waiting reader or on divergence
                else:
                    due = int(rate * (now - start)) + 1 - done
                    if due > rate * MAX_BEHIND:   # fell behind (a stall): don't make it all up
                        done += due - int(rate * MAX_BEHIND)
                        due = int(rate * MAX_BEHIND)
                taken = self.target.run(
                    steps=max(due, 0),
                    stop=lambda: self._waiting.is_set() or cancel.is_set()
                    or time.perf_counter() >= end) \
                    if due > 0 else 0
                done += taken
                diverged = self.target.diverged
            window_steps += taken
            now = time.perf_counter()
            if now - window_start >= RATE_WINDOW:
                self.rate = window_steps / (now - window_start)
                window_start, window_steps = now, 0
            if diverged:
                break
            if rate is not None:  # sleep until the next step is due (or a reader comes)
                wait = (done / rate) - (now - start)
                if wait > 0:
                    cancel.wait(min(wait, CHUNK_SECONDS))
            while self._waiting.is_set() and not cancel.is_set():
                time.sleep(0.0002)  # until the reader has taken the lock
        if diverged and not cancel.is_set():
            cancel.set()
            if self.on_stop is not None:
                self.on_stop(True)
