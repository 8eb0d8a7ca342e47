"""The prompts that ask a person for a value: a weight, a bias, a layer's size, the settings;
and the grid's quick edits (+/- nudges, f freezes).

Each turns what was typed into an edit and hands it to the app (which hands it to the
workspace); a callback returns the error to show in the prompt (nothing changed) or None.
"""

from __future__ import annotations

from gradstep import selection
from gradstep.edits import Freeze, Nudge, SetBias, SetWeight, bias_name, weight_name
from gradstep.names import trainer_names
from gradstep.errors import GradstepError
from gradstep.tui.screens.prompt import failure
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.tui.screens.value_editor import ValueEditor, parse_number, parse_whole


def typed(app, parse, text: str, make) -> str | None:
    """A value typed into an editor, parsed and made into an edit; the error or None."""
    try:
        edit = make(parse(text, "the value"))
    except GradstepError as e:
        return str(e)
    return app.try_apply(edit)  # catches whatever the edit meets


def prompt_value(app, layer: int, row: int, col: int) -> None:
    """Enter on a grid cell: type a new weight (or, on the bias row, bias)."""
    is_bias = row >= app.trainer.network.sizes[layer]
    names = trainer_names(app.trainer)
    what = f"bias {bias_name(layer, col, names)}" if is_bias else \
        f"weight {weight_name(layer, row, col, names)}"

    def make(value):
        return SetBias(layer, col, value) if is_bias else SetWeight(layer, row, col, value)

    app.push_screen(ValueEditor(what, app.grid.value_at(row, col),
                                lambda text: typed(app, parse_number, text, make)))


def prompt_size(app) -> None:
    """z: type the number of neurons of the selected hidden layer."""
    net, layer = app.trainer.network, app.layer
    try:
        k = selection.hidden_target(net, layer, "set a size")
    except GradstepError as e:
        app.notify(str(e), severity="warning", title="not changed")
        return
    app.push_screen(ValueEditor(f"the number of neurons of layer {k}", net.sizes[k], lambda text:
                                typed(app, parse_whole, text,
                                      lambda size: selection.resize(net, layer, size)[0])))


def apply_settings(app, values: dict) -> str | None:
    """The settings form's values as one edit; an error message (nothing changed) or None."""
    try:
        edit, done = SettingsScreen.edit_for(app.trainer, values)
    except GradstepError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - a form never takes the app down
        return failure(e)
    if edit is None:
        return None
    error = app.try_apply(edit)
    if error is None:
        app.notify(done)
    return error


def nudge(app, message) -> None:
    """+ or - on a cell of the grid: the weight (or the bias, in the row under the weights)."""
    l, i, j = message.layer, message.row, message.col
    app.apply(Nudge(l, None if i >= app.trainer.network.sizes[l] else i, j, message.delta))


def toggle_freeze(app, message) -> None:
    """f on a weight of the grid: frozen weights keep their value while the rest train."""
    l, i, j, net = message.layer, message.row, message.col, app.trainer.network
    if i >= net.sizes[l]:
        app.notify("biases cannot be frozen, only weights", severity="warning")
    else:
        app.apply(Freeze(l, i, j, not net.is_frozen(l, i, j)))
