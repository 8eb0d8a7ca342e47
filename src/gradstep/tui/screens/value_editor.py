"""A modal editor for one weight or bias: type a number, Enter applies, Escape cancels.

The edit is applied by a callback that returns an error message (shown inline, nothing changed)
or None (the screen closes).
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ValueEditor(ModalScreen[bool]):
    DEFAULT_CSS = """
    ValueEditor {
        align: center middle;
    }
    ValueEditor > Vertical {
        width: 60;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    ValueEditor #error {
        color: $error;
        text-style: bold;
        width: 100%;
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, current: float, apply: Callable[[str], str | None]) -> None:
        super().__init__()
        self.what = what
        self.current = current
        self.apply = apply

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"New value for {self.what} (now {self.current:.6g})", markup=False)
            yield Input(value=f"{self.current:.6g}", id="value", select_on_focus=True)
            yield Label("", id="error", markup=False)
            yield Label("Enter applies · Escape cancels", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.apply(event.value)
        if error:
            self.query_one("#error", Label).update(error)
        else:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
