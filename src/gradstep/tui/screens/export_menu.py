"""The export menu: what to write (or read) next. Dismisses with the choice's id or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

CHOICES = [
    ("weights", "Weights as JSON (a scenario's [network] table takes them back)"),
    ("loss", "Loss history as CSV"),
    ("onnx", "The network as ONNX (onnxruntime and other runtimes; raw inputs)"),
    ("safetensors", "The weights for PyTorch (.safetensors, a torch.nn.Sequential)"),
    ("screenshot", "Screenshot as SVG"),
    ("load_weights", "Load weights from a JSON file (u undoes it)"),
]


class ExportMenu(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ExportMenu {
        align: center middle;
    }
    ExportMenu > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    ExportMenu OptionList {
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Export[/b] · Enter chooses · Escape cancels")
            yield OptionList(*[Option(Text(text), id=key) for key, text in CHOICES],
                             id="choices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
