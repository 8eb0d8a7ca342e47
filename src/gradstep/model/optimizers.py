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

    def propose(self, params, grad, lr, out=None):
        """(new parameters, state to commit with them). grad may be reused by the caller later.
        The new parameters go into `out` when given (an array shaped like params, kept by the
        caller from step to step), else into a new array. New state is always a new array:
        snapshots share the committed state, so it is never changed in place."""
        if out is None:
            out = np.empty_like(params)
        if self.name == "sgd":  # params - lr * grad
            np.multiply(grad, lr, out=out)
            return np.subtract(params, out, out=out), None
        if self.name == "momentum":  # torch: buf = g at first, then momentum*buf + g
            buf = grad.copy() if self.state is None else MOMENTUM * self.state + grad
            np.multiply(buf, lr, out=out)
            return np.subtract(params, out, out=out), buf
        m, v, t = self.state if self.state is not None else (0.0, 0.0, 0)
        t += 1
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * (grad * grad)
        # params - (lr / (1 - BETA1**t)) * m / (sqrt(v / (1 - BETA2**t)) + EPS), into out
        np.divide(v, 1 - BETA2**t, out=out)
        np.sqrt(out, out=out)
        out += EPS
        np.divide((lr / (1 - BETA1**t)) * m, out, out=out)
        return np.subtract(params, out, out=out), (m, v, t)

    def commit(self, state):
        if state is not None:
            self.state = state
