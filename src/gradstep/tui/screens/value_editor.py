"""A modal editor for one number (a weight, a bias, a size): the current value is offered,
selected, ready to be typed over. Enter applies through a callback that returns an error
message (shown inline, nothing changed) or None (the screen closes)."""

from __future__ import annotations

from typing import Callable

from gradstep.errors import GradstepError
from gradstep.tui.screens.prompt import TextPrompt

MAX_NUMBER = 64   # characters of a typed number

def parse_number(text: str, what: str) -> float:
    """A float from what a person typed; GradstepError with a plain message otherwise.
    (Non-finite values parse here and are refused by the edit, which says why.)"""
    try:
        return float(text.strip())
    except ValueError:
        shown = text.strip()[:40] or "(empty)"
        raise GradstepError(f"{what} must be a number like 0.25 or -1e-3, not {shown!r}") from None


def parse_whole(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:  # int() refuses more than 4,300 digits with a ValueError too
        shown = text.strip()[:40] or "(empty)"
        raise GradstepError(f"{what} must be a whole number, not {shown!r}") from None


class ValueEditor(TextPrompt):
    def __init__(self, what: str, current: float, apply: Callable[[str], str | None]) -> None:
        super().__init__(f"New value for {what} (now {current:.6g})", f"{current:.6g}", apply,
                         max_length=MAX_NUMBER)
        self.what = what
        self.current = current
