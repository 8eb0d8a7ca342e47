"""Between the data and the network's outputs: how targets are encoded for a loss, how outputs
are read back as classes, and whether a network's shape suits its data at all (and, with batch
norm, whether every mini-batch has the two samples a variance needs).

One place for these rules, so the trainer, the screens and the exports agree on what an
output of 0.3 means.
"""

from __future__ import annotations

import numpy as np

from gradstep.errors import SettingError, field_error
from gradstep.model.losses import REQUIRED_OUTPUT
from gradstep.text import printable


def low_label(output: str) -> float:
    """The target a class-0 point gets on a single output: 0 for sigmoid/softmax, else −1."""
    return 0.0 if output in ("sigmoid", "softmax") else -1.0


def encode_targets(data, network, loss):
    """Targets in the form the output and loss take: labels, one-hot, 0/1 or ±1 columns."""
    if data.task == "regression":
        return data.y.astype(network.dtype)
    labels = data.y
    if loss == "cross-entropy":
        return labels
    k = network.sizes[-1]
    if k == 1:
        columns = (labels == 1).reshape(-1, 1)
    else:
        columns = labels.reshape(-1, 1) == np.arange(k)
    return np.where(columns, 1.0, low_label(network.output)).astype(network.dtype)


def threshold(output: str) -> float:
    """Where a single output splits class 0 from class 1."""
    return 0.5 if output == "sigmoid" else 0.0


def predict_classes(network, out):
    """The class of each row of outputs `out` (..., k): rows, or a stack of them (the sweep)."""
    if out.shape[-1] == 1:
        return (out[..., 0] > threshold(network.output)).astype(np.int64)
    return out.argmax(axis=-1)


def class_confidence(out: np.ndarray, softmax: bool) -> tuple[np.ndarray, np.ndarray]:
    """(argmax class, confidence in [0, 1]) of k ≥ 2 outputs; 1/k probability is 0 confidence."""
    k = out.shape[1]
    if not softmax:
        z = out - out.max(axis=1, keepdims=True)
        out = np.exp(z)
        out /= out.sum(axis=1, keepdims=True)
    labels = out.argmax(axis=1)
    top = out[np.arange(len(out)), labels]
    return labels, (top - 1 / k) / (1 - 1 / k)


def _fit_error(field: str, message: str) -> SettingError:
    return SettingError(message, field=field)


def _some(names, most: int = 5) -> str:
    """A few names, printable and short, for a message."""
    shown = ", ".join(printable(n, 24) for n in names[:most])
    return shown + (f", … ({len(names):,} in all)" if len(names) > most else "")


def _whole_numbers(y) -> bool:
    return bool(len(y)) and bool(np.all(np.isfinite(y))) and bool(np.all(y == np.round(y)))


def check_fit(sizes, output, data, loss):
    """SettingError, naming the field to change, unless a network with these layer sizes and
    output activation suits the data and the loss."""
    n_in, n_out = sizes[0], sizes[-1]
    if n_in != data.x.shape[1]:
        raise _fit_error("network.layers", f"the data has {data.x.shape[1]} inputs "
                         f"({_some(data.feature_names)}) but the first layer has {n_in}")
    needed = REQUIRED_OUTPUT.get(loss)
    if needed and output != needed:
        raise _fit_error("network.output", f"the {loss} loss needs a {needed} output, not {output}")
    if data.task == "regression":
        k = data.y.shape[1]
        classes = k == 1 and _whole_numbers(data.y)
        if n_out != k:
            if classes and n_out > 1:
                name = printable(data.target_names[0], 40) if data.target_names else "target"
                raise _fit_error("network.layers", f"the output has {n_out} neurons but the "
                                 f"target {name!r} is one number per row: add task = "
                                 f"\"classification\" to [data] or make the output 1 wide")
            raise _fit_error("network.layers", f"the data has {k} target(s) but the output layer "
                                               f"has {n_out}")
        if loss == "cross-entropy" or output == "softmax":
            field = "network.output" if output == "softmax" else "training.loss"
            fix = " (whole-number targets are classes with task = \"classification\" in [data])" \
                if classes else ""
            raise _fit_error(field, f"softmax and cross-entropy are for classes; this data is "
                                    f"regression{fix}")
        if loss == "bce" and (data.y.min() < 0 or data.y.max() > 1):
            raise _fit_error("training.loss", "the bce loss needs targets between 0 and 1")
        return
    k = data.n_classes
    if output == "softmax" or loss == "cross-entropy" or k > 2:
        if n_out != k:
            raise _fit_error("network.layers", f"{k} classes need {k} outputs, the output layer "
                                               f"has {n_out}")
    elif n_out not in (1, k):
        raise _fit_error("network.layers", f"2 classes need 1 output (or 2), the output layer has "
                                           f"{n_out}")


def check_batches(batch_norm, rows, batch_size):
    """SettingError when batch norm is on and some mini-batch of an epoch would hold one sample
    (torch's BatchNorm1d refuses those too: one sample has no variance)."""
    if not batch_norm:
        return
    last = rows % batch_size if rows > batch_size else rows
    if batch_size == 1 or last == 1:
        which = "a batch size of 1" if batch_size == 1 else \
            "the training split has 1 row" if rows == 1 else \
            f"batches of {batch_size} from {rows} training rows end with a batch of 1"
        raise field_error(SettingError, "training.batch_size",
                          f"must leave at least 2 samples in every mini-batch when batch norm "
                          f"is on: {which}")
