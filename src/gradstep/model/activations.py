"""Activations and their derivatives.

Each derivative takes the activation `a`, the pre-activation `z` and the upstream gradient `da`
and returns dL/dz; using `a` where it suffices (tanh, sigmoid) saves recomputing the function.
Softmax works along the last axis, so every function here also takes a stack of batches
(copies, rows, neurons), as the sweep (gradstep.sweep) steps them.

The training pass uses the `_INTO` forms: the same arithmetic in the same order, element for
element, written into arrays the network keeps from step to step (a fresh array past about
100 KB costs page faults here). `FORWARD_INTO[name](z, out)` returns the activation, in `out`
(linear: z itself; out may be z); `BACKWARD_INTO[name](a, z, da)` turns da into dL/dz in place.
"""

import numpy as np

LEAKY_SLOPE = 0.01

_ZEROS = {}  # dtype -> a flat vector of zeros, grown as needed, read only
ZEROS_AT_MOST = 1 << 21  # elements: past this, relu compares with the scalar 0


def _relu_into(z, out):
    """np.maximum(z, 0) into out. Against an array of zeros numpy runs its vector loop; with the
    scalar 0 it does not in float32 (17 µs against 5 µs for 128×256 here, 690 against 140 µs
    for 3,584×256), and the result is the same."""
    n = z.size
    if n > ZEROS_AT_MOST:
        return np.maximum(z, 0, out=out)
    zeros = _ZEROS.get(z.dtype)
    if zeros is None or zeros.size < n:
        zeros = np.zeros(n, z.dtype)
        zeros.flags.writeable = False
        _ZEROS[z.dtype] = zeros
    return np.maximum(z, zeros[:n].reshape(z.shape), out=out)


def sigmoid(z):
    # tanh form: no overflow warning for large |z|, exact to rounding.
    return 0.5 * np.tanh(0.5 * z) + 0.5


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _leaky_relu(z):
    return np.where(z > 0, z, LEAKY_SLOPE * z)


FORWARD = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "leaky-relu": _leaky_relu,
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
}


def _softmax_grad(a, z, da):
    return a * (da - (da * a).sum(axis=-1, keepdims=True))


def _leaky_relu_into(z, out):
    if out is z:  # in place: the scaled values aside first
        np.copyto(z, z * LEAKY_SLOPE, where=~(z > 0))
        return z
    np.multiply(z, LEAKY_SLOPE, out=out)
    np.copyto(out, z, where=z > 0)
    return out


def _sigmoid_into(z, out):
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _softmax_into(z, out):
    np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softmax_keeping(z, out, shifted):
    """(softmax of z into out, Σ exp(z - max z) per row), with z - max z kept in `shifted`:
    the parts of log_softmax that cross-entropy takes (losses.loss_and_grad)."""
    np.subtract(z, z.max(axis=-1, keepdims=True), out=shifted)
    np.exp(shifted, out=out)
    sums = out.sum(axis=-1, keepdims=True)
    out /= sums
    return out, sums


FORWARD_INTO = {
    "linear": lambda z, out: z,
    "relu": _relu_into,
    "leaky-relu": _leaky_relu_into,
    "tanh": np.tanh,  # a ufunc: np.tanh(z, out)
    "sigmoid": _sigmoid_into,
    "softmax": _softmax_into,
}


BACKWARD = {
    "linear": lambda a, z, da: da,
    "relu": lambda a, z, da: da * (z > 0),
    "leaky-relu": lambda a, z, da: np.where(z > 0, da, LEAKY_SLOPE * da),
    "tanh": lambda a, z, da: da * (1 - a * a),
    "sigmoid": lambda a, z, da: da * a * (1 - a),
    "softmax": _softmax_grad,
}

def _relu_back_into(a, z, da):
    return np.multiply(da, z > 0, out=da)


def _leaky_relu_back_into(a, z, da):
    np.copyto(da, da * LEAKY_SLOPE, where=~(z > 0))  # not z <= 0: a NaN z scales too
    return da


def _tanh_back_into(a, z, da):
    da *= 1 - a * a
    return da


def _sigmoid_back_into(a, z, da):
    da *= a
    da *= 1 - a
    return da


def _softmax_back_into(a, z, da):
    dot = (da * a).sum(axis=-1, keepdims=True)
    da -= dot
    da *= a
    return da


BACKWARD_INTO = {
    "linear": lambda a, z, da: da,
    "relu": _relu_back_into,
    "leaky-relu": _leaky_relu_back_into,
    "tanh": _tanh_back_into,
    "sigmoid": _sigmoid_back_into,
    "softmax": _softmax_back_into,
}

HIDDEN = ("linear", "relu", "leaky-relu", "tanh", "sigmoid")
OUTPUT = ("linear", "sigmoid", "tanh", "softmax")
