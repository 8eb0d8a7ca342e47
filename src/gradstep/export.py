"""Exports: the loss history as CSV, the weights as JSON in the scenario files' orientation.

An exported weights file holds the keys of a scenario's [network] table (layers, activation,
output, bias, weights, biases), with weights[l][i][j] joining neuron i of layer l to neuron j of
layer l+1; its `weights = ...` and `biases = ...` lines can be pasted into a scenario's
[network] table as they are (TOML arrays of numbers are written like JSON's).
"""

import json
import math

import numpy as np

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
    return {
        "format": FORMAT,
        "layers": list(network.sizes),
        "activation": list(network.activations),
        "output": network.output,
        "bias": network.bias,
        "constraint": network.constraint,
        "weights": [w.tolist() for w in network.weights],
        "biases": [b.tolist() for b in network.biases],
    }


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


def load_weights(trainer, path):
    """Put an exported file's weights (and biases) into the trainer's network, which must have
    the same layer sizes; nothing changes if anything is wrong."""
    weights, biases, _ = read_weights_json(path)
    net = trainer.network
    try:
        arrays = [np.array(w, dtype=float) for w in weights]
        bias_arrays = None if biases is None else [np.array(b, dtype=float) for b in biases]
    except (TypeError, ValueError):
        raise GradstepError(f"{path}: weights must be nested lists of numbers") from None
    shapes = [a.shape for a in arrays]
    expected = [w.shape for w in net.weights]
    if shapes != expected:
        raise GradstepError(f"{path}: its weight shapes {shapes} differ from the network's "
                            f"{expected}")
    if bias_arrays is not None and [b.shape for b in bias_arrays] != [b.shape for b in net.biases]:
        raise GradstepError(f"{path}: its bias shapes differ from the network's")
    if not all(np.all(np.isfinite(a)) for a in arrays + (bias_arrays or [])):
        raise GradstepError(f"{path}: weights must be finite numbers")
    if any(np.abs(a).max(initial=0) > 1e9 for a in arrays + (bias_arrays or [])):
        raise EditError(f"{path}: weights must lie within ±1e9")
    trainer.edit("load_parameters", arrays, bias_arrays)
