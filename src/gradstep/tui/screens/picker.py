"""The scenario picker: shipped scenarios in course order, one line each (name and title, cut
with an ellipsis when the screen is narrow); Enter loads one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from gradstep.text import printable


class ScenarioPicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ScenarioPicker {
        align: center middle;
    }
    ScenarioPicker > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    ScenarioPicker OptionList {
        height: auto;
        max-height: 20;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scenarios: list, current: str | None = None, error: str | None = None):
        super().__init__()
        self.scenarios = scenarios
        self.current = current
        self.error = error

    @classmethod
    def of_presets(cls, current: str | None = None) -> ScenarioPicker:
        """The picker over the shipped scenarios (an error line if they cannot be listed)."""
        from gradstep.errors import GradstepError
        from gradstep.scenarios import list_presets
        try:
            return cls(list_presets(), current)
        except GradstepError as e:
            return cls([], current, f"no scenarios to list: {e}")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Scenarios[/b]  Enter loads · Escape cancels")
            if self.error:
                yield Label(self.error, id="error", markup=False)
            options = [Option(Text.assemble((f"{printable(s.name, 20):<20}", "bold"),
                                            printable(s.title, 200)), id=s.name)
                       for s in self.scenarios]
            yield OptionList(*options, id="scenarios")

    def on_mount(self) -> None:
        names = [s.name for s in self.scenarios]
        if self.current in names:
            self.query_one(OptionList).highlighted = names.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
