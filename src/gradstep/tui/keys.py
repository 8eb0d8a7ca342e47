"""The key table: one list feeds the bindings, the footer, the help screen and the palette."""

from __future__ import annotations

from textual.binding import Binding

# (keys, action, title, description); keys "" is a palette-only command
COMMAND_TABLE = [
    ("space", "step", "Step", "one training step (one mini-batch)"),
    ("n", "epoch", "Epoch", "train to the end of the epoch"),
    ("r", "run", "Run", "run training continuously, or pause it"),
    ("greater_than_sign", "pace(1)", "Faster", "run faster: the next pace up the ladder 1, 2, "
                                               "5 … 500 epochs per second, then max"),
    ("less_than_sign", "pace(-1)", "Slower", "run slower: the next pace down the ladder"),
    ("x", "reset", "Reset", "new random weights (the initialisation chosen in s); step and "
                            "history start again"),
    ("left_square_bracket", "layer(-1)", "◂ Layer", "select the previous weight layer"),
    ("right_square_bracket", "layer(1)", "Layer ▸", "select the next weight layer"),
    ("a", "structure('add_neuron')", "Add neuron", "add a neuron to the selected hidden layer (▸)"),
    ("d", "structure('remove_neuron')", "Remove neuron", "remove the last neuron of the selected hidden "
                                            "layer (▸)"),
    ("i", "structure('insert_layer')", "Insert layer", "insert a hidden layer after the grid's input "
                                          "layer"),
    ("delete,backspace", "structure('remove_layer')", "Remove layer", "remove the selected hidden "
                                                         "layer (▸)"),
    ("c", "structure('next_activation')", "Activation", "cycle the activation of the selected layer (▸)"),
    ("z", "resize_layer", "Size", "type the number of neurons of the selected hidden layer (▸)"),
    ("b", "switch", "A/B", "two networks side by side: the grid and edits act on the other one"),
    ("B", "compare", "Compare", "B: a copy of A beside it, trained in lockstep (change B's "
                                "settings alone); again: B removed"),
    ("D", "data", "Data", "the data: data set, points, noise, test fraction, seed, classes, "
                          "input features"),
    ("t", "view('test')", "Test points", "show the test points on the heatmap too"),
    ("o", "view('discrete')", "Discretize", "heatmap: the class (or sign) decided, or how sure"),
    ("s", "settings", "Settings", "learning rate, batch size, optimizer, loss, L1, L2, "
                                  "constraint, standardize"),
    ("g", "view('scale')", "Log scale", "plots: y axis auto, log or linear"),
    ("v", "view('neurons')", "Neurons", "pictures of what each neuron computes over the input "
                                       "plane (bars of mean |activation| for other data)"),
    ("w", "view('sums')", "Σw plot", "the weight sums over time instead of the loss (both "
                                    "show on a large screen)"),
    ("p", "pick", "Scenarios", "load another scenario"),
    ("l", "lesson", "Lesson", "show or hide the scenario's lesson"),
    ("u", "undo", "Undo", "undo the last change or block of training steps"),
    ("ctrl+y", "redo", "Redo", "redo what u undid"),
    ("ctrl+s", "save", "Save", "save the session (a .npz file); asks for a name the first time"),
    ("ctrl+o", "open", "Open", "open a saved session file"),
    ("e", "export", "Export", "export the weights (JSON), the loss (CSV) or a screenshot (SVG); "
                            "load weights"),
    ("", "export_kind('weights')", "Export weights", "write the weights as JSON"),
    ("", "export_kind('loss')", "Export loss", "write the loss history as CSV"),
    ("", "export_kind('screenshot')", "Screenshot", "write the screen as SVG"),
    ("", "export_kind('load_weights')", "Load weights", "read weights from a JSON file (u undoes it)"),
    ("question_mark", "help", "Help", "all keys"),
    ("q", "quit", "Quit", "leave gradstep"),
]
FOOTER_KEYS = {"space", "n", "r", "s", "p", "u", "question_mark", "q"}
# the rest are in the help (?) and the palette (ctrl+p); the footer fits 80 columns
ACTIONS = {action.split("(")[0] for _, action, _, _ in COMMAND_TABLE}


def bindings() -> list[Binding]:
    """Priority bindings: a focused Input must not swallow the training keys."""
    return [Binding(keys, action, title, show=keys in FOOTER_KEYS, priority=True,
                    id=f"gradstep.{keys.split(',')[0]}")
            for keys, action, title, _ in COMMAND_TABLE if keys]
