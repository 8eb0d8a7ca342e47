"""Optimizers with torch.optim semantics.

`propose` computes new parameters and new state without touching the old ones, so a step
that turns out non-finite can be dropped whole (the divergence guard) by not committing it.
State is kept per parameter, as torch keeps it (Adam's step count included).
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
        self.state = {}  # parameter index -> state tuple

    def reset(self):
        self.state = {}

    def propose(self, params, grads, lr):
        """New values for params[k] where grads[k] is not None, and the state to commit with them."""
        new_params, new_state = {}, {}
        for k, (p, g) in enumerate(zip(params, grads)):
            if g is None:
                continue
            if self.name == "sgd":
                new_params[k] = p - lr * g
            elif self.name == "momentum":  # torch: buf = momentum*buf + g (buf = g at first)
                old = self.state.get(k)
                buf = g if old is None else MOMENTUM * old + g
                new_params[k] = p - lr * buf
                new_state[k] = buf
            else:
                m, v, t = self.state.get(k, (0.0, 0.0, 0))
                t += 1
                m = BETA1 * m + (1 - BETA1) * g
                v = BETA2 * v + (1 - BETA2) * (g * g)
                denom = np.sqrt(v / (1 - BETA2**t)) + EPS
                new_params[k] = p - (lr / (1 - BETA1**t)) * m / denom
                new_state[k] = (m, v, t)
        return new_params, new_state

    def commit(self, new_state):
        self.state.update(new_state)
