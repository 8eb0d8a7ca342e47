"""Exports: the loss history as CSV, the weights as JSON in the scenario files' orientation.

An exported weights file holds the keys of a scenario's [network] table (layers, activation,
output, bias, weights, biases; and for a batch-normalised network batch_norm, gamma, beta,
running_mean, running_var), with weights[l][i][j] joining neuron i of layer l to neuron j of
layer l+1; its `weights = ...` and `biases = ...` lines can be pasted into a scenario's
[network] table as they are (TOML arrays of numbers are written like JSON's).
"""

import json
import math

from pathlib import Path

import numpy as np

from gradstep.bounded import loads_json
from gradstep.errors import EditError, GradstepError
from gradstep.files import FileError, read_bytes, shown
from gradstep.model.spec import MAX_PARAMETERS
from gradstep.text import one_line

FORMAT = "gradstep-weights"
MAX_DEPTH = 8  # a weights file nests 4 deep


def history_csv(history, names=None):
    """step,train_loss,test_loss, one row per evaluation, then (given the neurons' names per
    layer, names.py) the weight sums of each row: sum_W<l> per weight layer, and each neuron's
    incoming sum W<l>:<name> (min, median, max for a layer wider than history.NEURONS). An
    empty cell where there is no value (or the row was recorded when the layer had another
    size)."""
    sizes = [len(layer) for layer in names] if names else None
    def cell(value):
        return repr(float(value)) if math.isfinite(value) else ""

    steps = history.column("step")
    columns = [("train_loss", history.column("train_loss")),
               ("test_loss", history.column("test_loss"))]
    for l in range(len(sizes) - 1 if sizes else 0):
        series = history.sums(l, sizes[l + 1])
        full = np.full(len(steps), np.nan)
        full[series.rows] = series.total
        columns.append((f"sum_W{l}", full))
        labels = ("min", "median", "max") if series.spread else names[l + 1]
        for k, name in enumerate(labels):
            values = np.full(len(steps), np.nan)
            values[series.rows] = series.neurons[:, k]
            columns.append((f"W{l}:{name}", values))
    lines = ["step," + ",".join(name for name, _ in columns)]
    for r, step in enumerate(steps):
        lines.append(f"{int(step)}," + ",".join(cell(values[r]) for _, values in columns))
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
    from gradstep.model.spec import NORM_KEYS
    weights, biases, doc = read_weights_json(path)
    norm = {key: doc[key] for key in ("batch_norm", *NORM_KEYS) if doc.get(key) is not None}
    return LoadWeights(weights, biases, source=shown(Path(path).name), norm=norm or None)


def load_weights(trainer, path):
    """Load an exported file's weights into the trainer's network; GradstepError naming the
    file if they do not fit."""
    edit = load_weights_edit(path)
    try:
        trainer.apply(edit)
    except GradstepError as e:
        raise EditError(f"{shown(path)}: {e}") from None
