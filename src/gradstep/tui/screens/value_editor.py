"""A modal editor for one number (a weight, a bias, a size): the current value is offered,
selected, ready to be typed over. Enter applies through a callback that returns an error
message (shown inline, nothing changed) or None (the screen closes)."""

from __future__ import annotations

from typing import Callable

from gradstep.tui.screens.prompt import TextPrompt


class ValueEditor(TextPrompt):
    def __init__(self, what: str, current: float, apply: Callable[[str], str | None]) -> None:
        super().__init__(f"New value for {what} (now {current:.6g})", f"{current:.6g}", apply)
        self.what = what
        self.current = current
