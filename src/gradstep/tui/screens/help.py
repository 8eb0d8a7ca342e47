"""Every key, with what it does, and the one-line lesson."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


TAKEAWAY = ("Weights are coefficients, not shares: nothing makes a layer's weights add up to 1. "
            "Only softmax outputs sum to 1.")


def key_name(keys: str) -> str:
    names = {"space": "space", "left_square_bracket": "[", "right_square_bracket": "]",
             "question_mark": "?", "plus": "+", "minus": "-", "equals_sign": "=",
             "delete": "del", "backspace": "backspace", "greater_than_sign": ">",
             "less_than_sign": "<"}
    return " / ".join(names.get(k, k) for k in keys.split(","))


def help_sections(table, nudge: float) -> list[tuple[str, list[tuple[str, str]]]]:
    """The help screen's sections: the key table, the grid's own keys, the palette."""
    grid_keys = [("up,down,left,right", "move the cursor (rows i, columns j, the bias row)"),
                 ("enter", "type a new value for the weight or bias"),
                 ("plus,equals_sign", f"nudge it by +{nudge}"),
                 ("minus", f"nudge it by -{nudge}"),
                 ("f", "freeze or unfreeze the weight (* marks it; training leaves it)")]
    return [
        ("Training and network", [(k, d) for k, _, _, d in table if k]),
        ("Weights grid", grid_keys),
        ("Anywhere", [("ctrl+p", "command palette: every action above by name")]),
        ("In the command palette only", [(k, f"{t}: {d}") for k, _, t, d in table if not k]),
    ]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for title, rows in self.sections:
            table.add_row(f"[u]{title}[/u]", "")
            for keys, description in rows:
                table.add_row(Text(key_name(keys)), Text(description))
            table.add_row("", "")
        with VerticalScroll():
            yield Static(table, id="keys")
            yield Static(f"[i]{TAKEAWAY}[/i]\nEscape or ? closes.")

    def action_close(self) -> None:
        self.dismiss(None)
