"""Optimizers with torch.optim semantics, over the network's flat parameter vector.

`propose` computes new parameters and new state without touching the old ones, so a step
that turns out non-finite can be dropped whole (the divergence guard) by not committing it.
All parameters step together, so one state (and one Adam step count) serves them all,
exactly as torch's per-parameter state would.
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
        self.state = None

    def reset(self):
        self.state = None

    def propose(self, params, grad, lr):
        """(new parameters, state to commit with them). grad may be reused by the caller later."""
        if self.name == "sgd":
            return params - lr * grad, None
        if self.name == "momentum":  # torch: buf = g at first, then momentum*buf + g
            buf = grad.copy() if self.state is None else MOMENTUM * self.state + grad
            return params - lr * buf, buf
        m, v, t = self.state if self.state is not None else (0.0, 0.0, 0)
        t += 1
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * (grad * grad)
        step = (lr / (1 - BETA1**t)) * m / (np.sqrt(v / (1 - BETA2**t)) + EPS)
        return params - step, (m, v, t)

    def commit(self, state):
        if state is not None:
            self.state = state
