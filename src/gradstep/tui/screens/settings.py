"""The training settings as a form. Apply (or Enter in a field) hands the raw values to a
callback; `edit_for` turns them into one ChangeSettings edit (settings, constraint, dtype,
initialisation and batch norm together), so the form applies whole or not at all: an error is
shown inline and nothing changes."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Input, Label, Select

from gradstep.edits import ChangeSettings
from gradstep.model.constraints import CONSTRAINTS
from gradstep.model.initializers import INITS
from gradstep.model.losses import LOSSES
from gradstep.model.optimizers import OPTIMIZERS
from gradstep.model.spec import DTYPES
from gradstep.tui.screens.form import FormScreen
from gradstep.tui.screens.prompt import failure
from gradstep.tui.screens.value_editor import MAX_NUMBER, parse_number, parse_whole

SELECTS = {"optimizer": OPTIMIZERS, "loss": LOSSES, "constraint": CONSTRAINTS, "init": INITS,
           "dtype": DTYPES, "standardize": ("no", "yes"), "batch_norm": ("no", "yes")}
LABELS = {"learning_rate": "learning rate", "batch_size": "batch size", "optimizer": "optimizer",
          "loss": "loss", "l1": "L1", "l2": "L2", "constraint": "constraint",
          "init": "init (x)", "dtype": "dtype", "standardize": "standardize",
          "batch_norm": "batch norm"}
SOME = "some layers"  # batch norm on some hidden layers only: leaves them as they are


def batch_norm_state(network) -> bool | None:
    """True when every hidden layer is batch-normalised, False when none is, None for some."""
    flags = network.batch_norm
    if not any(flags):
        return False
    return True if all(flags) else None


class SettingsScreen(FormScreen):
    DEFAULT_CSS = """
    SettingsScreen > Vertical {
        width: 64;
    }
    SettingsScreen Grid {
        grid-columns: 13 1fr 13 1fr;
    }
    """

    def __init__(self, trainer, apply: Callable[[dict], str | None]) -> None:
        super().__init__()
        self.settings = trainer.settings
        net = trainer.network
        state = batch_norm_state(net)
        self.network_values = {"constraint": net.constraint, "dtype": net.dtype.name,
                               "init": net.init,
                               "batch_norm": SOME if state is None else "yes" if state else "no"}
        self.apply = apply

    @staticmethod
    def edit_for(trainer, values: dict):
        """(ChangeSettings or None when nothing changed, what to tell the person) for the
        form's raw values; GradstepError for text that is not a number."""
        s, net = trainer.settings, trainer.network
        changes = {
            "learning_rate": parse_number(values["learning_rate"], "the learning rate"),
            "batch_size": parse_whole(values["batch_size"], "the batch size"),
            "l1": parse_number(values["l1"], "L1"),
            "l2": parse_number(values["l2"], "L2"),
            "optimizer": values["optimizer"],
            "loss": values["loss"],
            "standardize": bool(values["standardize"]),
        }
        changes = {k: v for k, v in changes.items() if getattr(s, k) != v}
        now = {"constraint": net.constraint, "dtype": net.dtype.name, "init": net.init,
               "batch_norm": batch_norm_state(net)}
        others = {k: values[k] for k in now if values.get(k) is not None and values[k] != now[k]}
        if not changes and not others:
            return None, ""
        notes = []
        if "standardize" in changes:
            notes.append("inputs standardized" if changes["standardize"] else
                         "inputs no longer standardized")
        if "optimizer" in changes:
            notes.append("new optimizer memory")
        if "constraint" in others:
            notes.append(f"weights moved onto the {others['constraint']} constraint")
        if "init" in others:
            notes.append(f"x now draws {others['init']} weights")
        if "batch_norm" in others:
            notes.append("batch norm on every hidden layer; new optimizer memory"
                         if others["batch_norm"] else "batch norm off; new optimizer memory")
        return ChangeSettings(changes, **others), \
            "settings changed" + (": " + "; ".join(notes) if notes else "")

    def compose(self) -> ComposeResult:
        s = self.settings
        current = {"learning_rate": f"{s.learning_rate:g}", "batch_size": str(s.batch_size),
                   "l1": f"{s.l1:g}", "l2": f"{s.l2:g}", "optimizer": s.optimizer,
                   "loss": s.loss, "standardize": "yes" if s.standardize else "no",
                   **self.network_values}
        with Vertical():
            yield Label("[b]Settings[/b]  Enter in a number field or Apply applies · "
                        "Tab moves · Escape cancels")
            with Grid():
                for name, label in LABELS.items():
                    yield Label(label)
                    if name in SELECTS:
                        choices = SELECTS[name] + ((SOME,) if current[name] == SOME else ())
                        yield Select([(c, c) for c in choices], value=current[name],
                                     id=f"set-{name}", allow_blank=False, compact=True)
                    else:
                        yield Input(current[name], id=f"set-{name}", compact=True,
                                    max_length=MAX_NUMBER)
            yield self.error_line()
            with Horizontal():
                yield from self.buttons()

    def values(self) -> dict:
        """The form's raw values by setting name (text from Inputs, choices from Selects).
        Field ids are `set-<name>`."""
        values = {name: self.query_one(f"#set-{name}", Input).value
                  for name in ("learning_rate", "batch_size", "l1", "l2")}
        for name in SELECTS:
            values[name] = self.query_one(f"#set-{name}", Select).value
        values["standardize"] = values["standardize"] == "yes"
        values["batch_norm"] = {"yes": True, "no": False}.get(values["batch_norm"])  # SOME: None
        return values

    def submit(self) -> None:
        try:
            error = self.apply(self.values())
        except Exception as e:  # noqa: BLE001 - the app stays up whatever a callback meets
            error = failure(e)
        if error:
            self.show_error(error)
        else:
            self.dismiss(True)
