"""A driver that records what the app would send to a terminal (for `gradstep bench`).

Headless, Textual renders nothing; this driver says it is not headless, so every frame is
turned into the text a real terminal would receive, and hands that text to a recorder instead
of a terminal. Textual flushes the driver once per frame, so a flush ends a frame. Only
Textual's public Driver API is used.
"""

from __future__ import annotations

import time

from textual.drivers.headless_driver import HeadlessDriver


def recording_driver(recorder):
    """A Driver class whose output goes to recorder.write(time, text) and whose frames end in
    recorder.frame(time). Give the size to run_test or run."""

    class RecordingDriver(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False

        def write(self, data: str) -> None:
            recorder.write(time.perf_counter(), data)

        def flush(self) -> None:
            recorder.frame(time.perf_counter())

    return RecordingDriver
