"""What the settings and data forms share: a box in the middle of the screen, fields in a grid
of two pairs a row, an error line, Apply and Cancel. Enter in a field or Apply calls submit();
Escape or Cancel dismisses with False. A subclass composes its fields between form_title() and
form_end(), and writes submit()."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from gradstep.text import printable


class FormScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
    }
    FormScreen > Vertical {
        max-width: 98%;
        height: auto;
        max-height: 98%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    FormScreen Grid {
        grid-size: 4;
        grid-rows: 1;
        grid-gutter: 1 1;
        height: auto;
        margin: 1 0 0 0;  /* two fields a row: the form fits 80×24 */
    }
    FormScreen Input {
        background: $boost;
    }
    FormScreen .form-error {
        color: $error;
        text-style: bold;
        width: 100%;
        height: auto;
    }
    FormScreen Horizontal {
        height: auto;
        align-horizontal: right;
    }
    FormScreen Button {
        margin-left: 2;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    ERROR_ID = "error"

    def error_line(self) -> Label:
        return Label("", id=self.ERROR_ID, classes="form-error", markup=False)

    def buttons(self, apply: bool = True) -> ComposeResult:
        yield Button("Apply", variant="primary", id="apply", compact=True, disabled=not apply)
        yield Button("Cancel", id="cancel", compact=True)

    def show_error(self, error: str) -> None:
        """The error under the fields; the form stays open and nothing changed."""
        self.query_one(f"#{self.ERROR_ID}", Label).update(printable(error, 600))

    def submit(self) -> None:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.submit()
        else:
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
