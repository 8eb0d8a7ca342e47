"""Exports: the loss history as CSV, the weights as JSON in the scenario files' orientation.

An exported weights file holds the keys of a scenario's [network] table (layers, activation,
output, bias, weights, biases), with weights[l][i][j] joining neuron i of layer l to neuron j of
layer l+1; its `weights = ...` and `biases = ...` lines can be pasted into a scenario's
[network] table as they are (TOML arrays of numbers are written like JSON's).
"""

import json
import math

from pathlib import Path

from gradstep.bounded import loads_json
from gradstep.errors import EditError, GradstepError
from gradstep.files import FileError, read_bytes, shown
from gradstep.model.spec import MAX_PARAMETERS
from gradstep.text import one_line

FORMAT = "gradstep-weights"
MAX_DEPTH = 8  # a weights file nests 4 deep


def history_csv(history):
    """step,train_loss,test_loss, one row per evaluation; an empty cell where there is no value."""
    def cell(value):
        return repr(float(value)) if math.isfinite(value) else ""

    lines = ["step,train_loss,test_loss"]
    for step, train, test in zip(history.column("step"), history.column("train_loss"),
                                 history.column("test_loss")):
        lines.append(f"{int(step)},{cell(train)},{cell(test)}")
    return "\n".join(lines) + "\n"


def weights_document(network):
    """The network as the keys of a scenario's [network] table (model/spec.py), with a format."""
    return {"format": FORMAT, **network.spec().to_dict()}


def weights_json(network):
    return json.dumps(weights_document(network), indent=1) + "\n"


def read_weights_json(path):
    """(weights, biases, document) from an exported file; GradstepError naming the file."""
    try:
        raw = read_bytes(path, "weights")
    except FileError as e:
        raise GradstepError(f"{shown(path)}: cannot read weights ({e.reason})") from None
    if raw.count(b",") > 2 * MAX_PARAMETERS + 1000:  # each number costs 32 bytes once parsed
        raise GradstepError(f"{shown(path)}: cannot read weights (it holds more numbers than "
                            f"the {MAX_PARAMETERS:,} parameters a network may have)")
    try:
        doc = loads_json(raw.decode("utf-8-sig"), MAX_DEPTH)
    except UnicodeDecodeError as e:
        raise GradstepError(f"{shown(path)}: cannot read weights (not UTF-8 text: bad byte at "
                            f"offset {e.start})") from None
    except ValueError as e:
        raise GradstepError(f"{shown(path)}: cannot read weights ({one_line(e, 160)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("weights"), list):
        raise GradstepError(f"{shown(path)}: not a weights file (no \"weights\" list)")
    return doc["weights"], doc.get("biases"), doc


def load_weights_edit(path):
    """The edit that puts an exported file's weights (and biases) into a network of the same
    layer sizes (the shapes are checked when it is applied; nothing changes if anything is
    wrong)."""
    from gradstep.edits import LoadWeights
    weights, biases, _ = read_weights_json(path)
    return LoadWeights(weights, biases, source=shown(Path(path).name))


def load_weights(trainer, path):
    """Load an exported file's weights into the trainer's network; GradstepError naming the
    file if they do not fit."""
    edit = load_weights_edit(path)
    try:
        trainer.apply(edit)
    except GradstepError as e:
        raise EditError(f"{shown(path)}: {e}") from None
