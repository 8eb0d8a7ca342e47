"""Optimizers with torch.optim semantics.

`propose` computes new parameters and new state without touching the old ones, so a step
that turns out non-finite can be dropped whole (the divergence guard) by not committing it.
State is kept per parameter, as torch keeps it (Adam's step count included); parameter k is
weights[k // 2] for even k and biases[k // 2] for odd k.
"""

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")
MOMENTUM = 0.9
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


class Optimizer:
    def __init__(self, name):
        if name not in OPTIMIZERS:
            raise ValueError(name)
        self.name = name
        self.state = {}  # parameter index -> state

    def reset(self):
        self.state = {}

    def propose(self, weights, biases, gw, gb, lr):
        """(new weights, new biases, state to commit). Biases with no gradient stay as they are."""
        if self.name == "sgd":  # the common case, kept to two list comprehensions
            new_w = [w - lr * g for w, g in zip(weights, gw)]
            new_b = [b if g is None else b - lr * g for b, g in zip(biases, gb)]
            return new_w, new_b, {}
        state = {}
        new_w = [self._update(2 * l, w, g, lr, state) for l, (w, g) in enumerate(zip(weights, gw))]
        new_b = [b if g is None else self._update(2 * l + 1, b, g, lr, state)
                 for l, (b, g) in enumerate(zip(biases, gb))]
        return new_w, new_b, state

    def _update(self, k, p, g, lr, state):
        if self.name == "momentum":  # torch: buf = g at first, then momentum*buf + g
            old = self.state.get(k)
            buf = g if old is None else MOMENTUM * old + g
            state[k] = buf
            return p - lr * buf
        m, v, t = self.state.get(k, (0.0, 0.0, 0))
        t += 1
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * (g * g)
        state[k] = (m, v, t)
        return p - (lr / (1 - BETA1**t)) * m / (np.sqrt(v / (1 - BETA2**t)) + EPS)

    def commit(self, new_state):
        self.state.update(new_state)
