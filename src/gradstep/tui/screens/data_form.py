"""The data as a form, as TensorFlow Playground's left column: which data set, how many points,
how much noise, how many held out for testing, the seed, the spiral's classes, and the input
features computed from each point. Apply regenerates the data as one undoable change; the
network keeps the weights of the inputs that stay.

Data read from a file (a CSV, the digits) is shown, not changed: its file decides.
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from gradstep.edits import ChangeData
from gradstep.errors import GradstepError
from gradstep.scenarios.data import PLANE_KINDS
from gradstep.scenarios.features import DEFAULT, FEATURES
from gradstep.tui.screens.form import FormScreen
from gradstep.tui.screens.value_editor import parse_number, parse_whole

NUMBERS = (("samples", "points", parse_whole), ("noise", "noise", parse_number),
           ("test_fraction", "test fraction", parse_number), ("seed", "seed", parse_whole),
           ("classes", "classes (spiral)", parse_whole))


def _id(name: str) -> str:
    return "feature-" + "".join(c if c.isalnum() else "_" for c in name)


class DataScreen(FormScreen):
    ERROR_ID = "data-error"
    DEFAULT_CSS = """
    DataScreen > Vertical {
        width: 72;
    }
    DataScreen Grid {
        grid-columns: 16 1fr 16 1fr;
    }
    DataScreen #features {
        height: auto;
        layout: grid;
        grid-size: 4;
        grid-rows: 1;
        margin: 1 0 0 0;
    }
    DataScreen Checkbox {
        height: 1;
        border: none;
        padding: 0;
        background: $surface;
    }
    """

    def __init__(self, trainer, apply: Callable[[object], str | None]) -> None:
        super().__init__()
        self.spec = dict(trainer.data_spec or {})
        self.kind = self.spec.get("kind", "")
        self.generated = self.kind in PLANE_KINDS or self.kind in ("linear", "grades")
        self.features = tuple(self.spec.get("features", DEFAULT))
        self.apply = apply

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Data[/b]  Apply or Enter in a field · Escape cancels")
            if not self.generated:
                source = self.spec.get("path") or self.kind or "a saved session"
                yield Label(f"This data comes from {source}: its file decides, so it is shown, "
                            f"not changed here.", markup=False)
            with Grid():
                yield Label("data set")
                kinds = PLANE_KINDS if self.kind in PLANE_KINDS else (self.kind,)
                yield Select([(k, k) for k in kinds], value=self.kind or kinds[0],
                             id="data-kind", allow_blank=False, compact=True,
                             disabled=self.kind not in PLANE_KINDS)
                for key, label, _ in NUMBERS:
                    yield Label(label)
                    value = self.spec.get(key, "")
                    yield Input(str(value), id=f"data-{key}", compact=True,
                                placeholder="default", disabled=not self.generated or
                                (key == "classes" and self.kind != "spiral"))
            if self.kind in PLANE_KINDS:
                yield Label("input features, computed from each point (x1, x2):")
                with Vertical(id="features"):
                    for name in FEATURES:
                        yield Checkbox(name, name in self.features, id=_id(name), compact=True)
            yield self.error_line()
            with Horizontal():
                yield from self.buttons(apply=self.generated)

    def values(self) -> dict:
        """The [data] table the form describes now (GradstepError for text that is not a
        number): the current table with the form's changes."""
        spec = dict(self.spec)
        kind = self.query_one("#data-kind", Select).value
        if kind != self.kind:  # another playground set: its own defaults, not the old ones
            spec = {"kind": kind, "seed": spec.get("seed", 0)}
        for key, label, parse in NUMBERS:
            field = self.query_one(f"#data-{key}", Input)
            if field.disabled:
                continue
            text = field.value.strip()
            if text:
                spec[key] = parse(text, label)
            else:
                spec.pop(key, None)
        if kind != "spiral":
            spec.pop("classes", None)
        if kind in PLANE_KINDS:
            chosen = [n for n in FEATURES if self.query_one(f"#{_id(n)}", Checkbox).value]
            if tuple(chosen) == DEFAULT:
                spec.pop("features", None)
            else:
                spec["features"] = chosen
        return spec

    def submit(self) -> None:
        if not self.generated:
            self.dismiss(False)
            return
        try:
            spec = self.values()
        except GradstepError as e:
            self.show_error(str(e))
            return
        if spec == self.spec:
            self.dismiss(False)
            return
        error = self.apply(ChangeData(spec))
        if error:
            self.show_error(error)
        else:
            self.dismiss(True)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "data-kind":
            self.query_one("#data-classes", Input).disabled = event.value != "spiral"
