"""The training settings as a form. Apply (or Enter in a field) hands the raw values to a
callback that validates them through the trainer: an error is shown inline and nothing changes.

The number type (float64 or float32) is a network edit, not a training setting: once the
settings are applied, a changed dtype goes through the app's `apply_edit("set_dtype", ...)`."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Switch

from gradstep.model.constraints import CONSTRAINTS
from gradstep.model.losses import LOSSES
from gradstep.model.network import DTYPES
from gradstep.model.optimizers import OPTIMIZERS


class SettingsScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    SettingsScreen {
        align: center middle;
    }
    SettingsScreen > Vertical {
        width: 64;
        max-width: 98%;
        height: auto;
        max-height: 98%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    SettingsScreen Grid {
        grid-size: 2;
        grid-columns: 16 1fr;
        grid-rows: 1;
        grid-gutter: 1 0;
        height: auto;
        margin: 1 0 0 0;  /* the error line sits right below: the form fits 80×24 */
    }
    SettingsScreen Input {
        background: $boost;
    }
    SettingsScreen Switch {
        height: 1;
        border: none;
        padding: 0;
    }
    SettingsScreen #error {
        color: $error;
        text-style: bold;
        width: 100%;
        height: auto;
    }
    SettingsScreen Horizontal {
        height: auto;
        align-horizontal: right;
    }
    SettingsScreen Button {
        margin-left: 2;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, settings, constraint: str,
                 apply: Callable[[dict], str | None]) -> None:
        super().__init__()
        self.settings = settings
        self.constraint = constraint
        self.apply = apply
        trainer = getattr(self.app, "trainer", None)
        self.dtype = trainer.network.dtype.name if trainer is not None else DTYPES[0]

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical():
            yield Label("[b]Training settings[/b]  Enter or Apply · Escape cancels")
            with Grid():
                yield Label("learning rate")
                yield Input(f"{s.learning_rate:g}", id="set-learning_rate", compact=True)
                yield Label("batch size")
                yield Input(str(s.batch_size), id="set-batch_size", compact=True)
                yield Label("optimizer")
                yield Select([(o, o) for o in OPTIMIZERS], value=s.optimizer, id="set-optimizer",
                             allow_blank=False, compact=True)
                yield Label("loss")
                yield Select([(o, o) for o in LOSSES], value=s.loss, id="set-loss",
                             allow_blank=False, compact=True)
                yield Label("L1")
                yield Input(f"{s.l1:g}", id="set-l1", compact=True)
                yield Label("L2")
                yield Input(f"{s.l2:g}", id="set-l2", compact=True)
                yield Label("constraint")
                yield Select([(c, c) for c in CONSTRAINTS], value=self.constraint,
                             id="set-constraint", allow_blank=False, compact=True)
                yield Label("standardize")
                yield Switch(s.standardize, id="set-standardize")
                yield Label("dtype")
                yield Select([(d, d) for d in DTYPES], value=self.dtype, id="set-dtype",
                             allow_blank=False, compact=True)
            yield Label("", id="error", markup=False)
            with Horizontal():
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def values(self) -> dict:
        """The form's raw values by setting name (text from Inputs, choices from Selects).
        Field ids are `set-<name>`."""
        values = {name: self.query_one(f"#set-{name}", Input).value
                  for name in ("learning_rate", "batch_size", "l1", "l2")}
        for name in ("optimizer", "loss", "constraint", "dtype"):
            values[name] = self.query_one(f"#set-{name}", Select).value
        values["standardize"] = self.query_one("#set-standardize", Switch).value
        return values

    def submit(self) -> None:
        values = self.values()
        error = self.apply(values)
        if not error and values["dtype"] != self.dtype:
            error = self.app.apply_edit("set_dtype", values["dtype"])
        if error:
            self.query_one("#error", Label).update(error)
        else:
            self.dismiss(True)

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
