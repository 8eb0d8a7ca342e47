"""Losses, defined as PyTorch defines them so that results can be compared.

`loss_and_grad` returns the data loss and dL/dz for the output layer's pre-activation z.
Softmax+cross-entropy and sigmoid+BCE are fused: computed from z, they stay finite where the
unfused formulas would take log(0).
"""

import numpy as np

from gradstep.model.activations import BACKWARD_INTO

LOSSES = ("mse", "mae", "bce", "cross-entropy")

# A loss that needs a particular output activation (the fused pairs).
REQUIRED_OUTPUT = {"bce": "sigmoid", "cross-entropy": "softmax"}


def _log_softmax_at(z, y):
    """log_softmax(z)[i, y_i] for each row i: only the entries cross-entropy takes."""
    shifted = z - z.max(axis=1, keepdims=True)
    return _picked(shifted, np.exp(shifted).sum(axis=1, keepdims=True), y)


def _picked(shifted, sums, y):
    """(shifted - log(sums))[i, y_i]: log_softmax at the labels from its parts."""
    return shifted[np.arange(len(y)), y] - np.log(sums[:, 0])


def loss_value(loss, z, a, y):
    """The mean loss over the batch (and outputs); y is encoded as `loss_and_grad` takes it."""
    if loss == "mse":
        return float(np.mean((a - y) ** 2))
    if loss == "mae":
        return float(np.mean(np.abs(a - y)))
    if loss == "bce":
        # torch.nn.BCEWithLogitsLoss: max(z,0) - z*y + log(1 + exp(-|z|))
        return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    if loss == "cross-entropy":
        return float(-np.mean(_log_softmax_at(z, y)))
    raise ValueError(loss)


def loss_and_grad(loss, output, z, a, y, out=None, softmax=None):
    """Data loss and dL/dz. y: float (n, k) targets, or int (n,) class labels for cross-entropy.
    dL/dz is written into `out` (shaped like a; the training pass's scratch), else a new array.
    softmax: (z - max z, Σ exp(z - max z) per row) as the pass's softmax computed them, which
    cross-entropy then takes instead of computing them again.
    """
    n = len(y)
    if loss == "cross-entropy":
        picked = _log_softmax_at(z, y) if softmax is None else _picked(*softmax, y)
        value = -picked.sum() / n
        rows = np.arange(n)
        if out is None:
            out = a.copy()
        else:
            np.copyto(out, a)
        out[rows, y] -= 1.0
        out /= n
        return float(value), out
    diff = np.subtract(a, y, out=out)
    if loss == "bce":
        value = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        diff /= diff.size
        return float(value), diff
    if loss == "mse":
        flat = diff.ravel()
        value = flat @ flat / flat.size  # one C call; np.mean costs more than the step's matmuls
        diff *= 2.0 / diff.size
    elif loss == "mae":
        value = np.mean(np.abs(diff))
        np.sign(diff, out=diff)
        diff /= diff.size
    else:
        raise ValueError(loss)
    return float(value), BACKWARD_INTO[output](a, z, diff)
