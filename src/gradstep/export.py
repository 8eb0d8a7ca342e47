"""Exports: the loss history as CSV, the weights as JSON in the scenario files' orientation.

An exported weights file holds the keys of a scenario's [network] table (layers, activation,
output, bias, weights, biases), with weights[l][i][j] joining neuron i of layer l to neuron j of
layer l+1; its `weights = ...` and `biases = ...` lines can be pasted into a scenario's
[network] table as they are (TOML arrays of numbers are written like JSON's).
"""

import json
import math

from pathlib import Path

from gradstep.errors import EditError, GradstepError

FORMAT = "gradstep-weights"


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
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        text = getattr(e, "strerror", None) or str(e)
        raise GradstepError(f"{path}: cannot read weights ({text.splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("weights"), list):
        raise GradstepError(f"{path}: not a weights file (no \"weights\" list)")
    return doc["weights"], doc.get("biases"), doc


def load_weights_edit(path):
    """The edit that puts an exported file's weights (and biases) into a network of the same
    layer sizes (the shapes are checked when it is applied; nothing changes if anything is
    wrong)."""
    from gradstep.edits import LoadWeights
    weights, biases, _ = read_weights_json(path)
    return LoadWeights(weights, biases, source=Path(path).name)


def load_weights(trainer, path):
    """Load an exported file's weights into the trainer's network; GradstepError naming the
    file if they do not fit."""
    edit = load_weights_edit(path)
    try:
        trainer.apply(edit)
    except GradstepError as e:
        raise EditError(f"{path}: {e}") from None
