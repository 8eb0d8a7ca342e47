"""Unsaved changes: save them, leave them, or go back. Dismisses with "save", "discard" or
"cancel"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class UnsavedChanges(ModalScreen[str]):
    DEFAULT_CSS = """
    UnsavedChanges {
        align: center middle;
    }
    UnsavedChanges > Vertical {
        width: 76;
        max-width: 95%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    UnsavedChanges Label {
        width: 100%;
    }
    UnsavedChanges Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    UnsavedChanges Button {
        margin-left: 2;
    }
    """
    BINDINGS = [Binding("escape", "choose('cancel')", "Cancel"),
                Binding("s", "choose('save')", "Save"),
                Binding("d", "choose('discard')", "Don't save")]

    def __init__(self, doing: str = "quit") -> None:
        super().__init__()
        self.doing = doing

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"This session has unsaved changes. Save them before you {self.doing}?",
                        markup=False)
            with Horizontal():
                yield Button("Save (s)", variant="primary", id="save", compact=True)
                yield Button("Don't save (d)", variant="error", id="discard", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
