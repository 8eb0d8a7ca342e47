"""A modal that asks for one line of text (a file name): Enter applies, Escape cancels.

The text goes to a callback that returns an error message (shown inline, the modal stays and
nothing changed) or None (the modal closes).
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


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
                 hint: str = "Enter applies · Escape cancels") -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.apply = apply
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            yield Input(value=self.default, id="text")
            yield Label("", id="error", markup=False)
            yield Label(self.hint, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.apply(event.value)
        if error:
            self.query_one("#error", Label).update(error)
        else:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
