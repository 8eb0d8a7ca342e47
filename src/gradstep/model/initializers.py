"""Weight initialisations, drawn from a seeded numpy Generator. Biases start at zero."""

import numpy as np

INITS = ("zeros", "uniform", "normal", "xavier", "he")


def init_weights(name, n_in, n_out, rng, dtype=np.float64):
    """A (n_in, n_out) weight matrix."""
    shape = (n_in, n_out)
    if name == "zeros":
        w = np.zeros(shape)
    elif name == "uniform":  # TensorFlow Playground: U(-0.5, 0.5)
        w = rng.uniform(-0.5, 0.5, shape)
    elif name == "normal":
        w = rng.standard_normal(shape)
    elif name == "xavier":  # Glorot uniform
        limit = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-limit, limit, shape)
    elif name == "he":  # He normal, fan-in
        w = rng.standard_normal(shape) * np.sqrt(2.0 / n_in)
    else:
        raise ValueError(name)
    return w.astype(dtype, copy=False)
