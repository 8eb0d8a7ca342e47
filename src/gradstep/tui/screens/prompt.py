"""A modal that asks for one line of text (a file name): Enter applies, Escape cancels.

The text goes to a callback that returns an error message (shown inline, the modal stays and
nothing changed) or None (the modal closes). The field takes at most MAX_LENGTH characters: a
longer paste is refused whole, at once. Whatever the callback raises is shown as its error: a
prompt never takes the app down.
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from gradstep.text import printable

MAX_LENGTH = 4096      # characters: a file name's longest (PATH_MAX)


class TextPrompt(ModalScreen[bool]):
    DEFAULT_CSS = """
    TextPrompt {
        align: center middle;
    }
    TextPrompt > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    TextPrompt #error {
        color: $error;
        text-style: bold;
        width: 100%;
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str, apply: Callable[[str], str | None],
                 hint: str = "Enter applies · Escape cancels", max_length: int = MAX_LENGTH) -> None:
        super().__init__()
        self.question = question
        self.max_length = max_length
        self.default = printable(default)[:max_length]
        self.apply = apply
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(printable(self.question, 300), markup=False)
            yield Input(value=self.default, id="text", max_length=self.max_length)
            yield Label("", id="error", markup=False)
            yield Label(self.hint, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            error = self.apply(event.value)
        except Exception as e:  # noqa: BLE001 - the app stays up whatever a callback meets
            error = failure(e)
        if error:
            self.query_one("#error", Label).update(printable(error, 600))
        else:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def failure(error: BaseException) -> str:
    """An unexpected error as one line for a person (the message, or the error's kind)."""
    text = " ".join(str(error).split())
    return f"failed: {text}" if text else f"failed: {type(error).__name__}"
