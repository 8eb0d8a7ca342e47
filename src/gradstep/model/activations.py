"""Activations and their derivatives.

Each derivative takes the activation `a`, the pre-activation `z` and the upstream gradient `da`
and returns dL/dz; using `a` where it suffices (tanh, sigmoid) saves recomputing the function.
Softmax works along the last axis, so every function here also takes a stack of batches
(copies, rows, neurons), as the sweep (gradstep.sweep) steps them.
"""

import numpy as np

LEAKY_SLOPE = 0.01


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


BACKWARD = {
    "linear": lambda a, z, da: da,
    "relu": lambda a, z, da: da * (z > 0),
    "leaky-relu": lambda a, z, da: np.where(z > 0, da, LEAKY_SLOPE * da),
    "tanh": lambda a, z, da: da * (1 - a * a),
    "sigmoid": lambda a, z, da: da * a * (1 - a),
    "softmax": _softmax_grad,
}

HIDDEN = ("linear", "relu", "leaky-relu", "tanh", "sigmoid")
OUTPUT = ("linear", "sigmoid", "tanh", "softmax")
