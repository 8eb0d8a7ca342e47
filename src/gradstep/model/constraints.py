"""Weight constraints, enforced after every update and every edit.

Groups: `sum-to-one` and `simplex` act on each neuron's incoming weights (a column of W);
`layer-simplex` acts on the whole matrix. Held entries (frozen weights, or the one just edited
by hand) keep their values; the free entries of a group take up what is left of the budget.
"""

import numpy as np

CONSTRAINTS = ("none", "nonnegative", "sum-to-one", "simplex", "layer-simplex")
TOLERANCE = 1e-9


class Infeasible(Exception):
    """The held weights leave no way to satisfy the constraint."""


def project_simplex_columns(v, total):
    """Euclidean projection of each column of v onto {w >= 0, sum w = total[j]} (sort-based)."""
    n = v.shape[0]
    u = -np.sort(-v, axis=0)
    css = np.cumsum(u, axis=0) - total
    ranks = np.arange(1, n + 1).reshape(-1, 1)
    positive = u - css / ranks > 0
    # last rank where the condition holds; rank 1 when none does (total 0: everything goes to 0)
    rho = np.where(positive.any(axis=0), n - 1 - np.argmax(positive[::-1], axis=0), 0)
    theta = css[rho, np.arange(v.shape[1])] / (rho + 1)
    return np.maximum(v - theta, 0)


def _project_group(w, hold, kind):
    """Project one group (1-D) with held entries fixed."""
    free = ~hold
    budget = 1.0 - w[hold].sum()
    if kind == "simplex" and (np.any(w[hold] < 0) or budget < -TOLERANCE):
        raise Infeasible("held weights are negative or already sum past 1")
    if not free.any():
        if abs(budget) > 1e-6:
            raise Infeasible("every weight of a group is held and they do not sum to 1")
        return w
    out = w.copy()
    if kind == "sum-to-one":
        out[free] += (budget - w[free].sum()) / free.sum()
    else:
        out[free] = project_simplex_columns(w[free].reshape(-1, 1), max(budget, 0.0))[:, 0]
    return out


def enforce(w, kind, hold=None):
    """A new matrix satisfying the constraint (or w itself for `none`). Raises Infeasible."""
    if kind == "none":
        return w
    if kind == "nonnegative":
        if hold is None:
            return np.maximum(w, 0)
        if np.any(w[hold] < 0):
            raise Infeasible("a held weight is negative")
        return np.where(hold, w, np.maximum(w, 0))
    if hold is None or not hold.any():
        if kind == "sum-to-one":
            return w + (1.0 - w.sum(axis=0)) / w.shape[0]
        if kind == "simplex":
            return project_simplex_columns(w, 1.0)
        if kind == "layer-simplex":
            return project_simplex_columns(w.reshape(-1, 1), 1.0).reshape(w.shape)
    if kind == "layer-simplex":
        return _project_group(w.ravel(), hold.ravel(), "simplex").reshape(w.shape)
    out = np.empty_like(w)
    for j in range(w.shape[1]):
        out[:, j] = _project_group(w[:, j], hold[:, j], kind)
    return out


def satisfied(w, kind, tol=1e-6):
    """Whether w meets the constraint (for tests and readouts)."""
    if kind == "none":
        return True
    if np.any(w < -tol) and kind != "sum-to-one":
        return False
    if kind in ("sum-to-one", "simplex"):
        return bool(np.all(np.abs(w.sum(axis=0) - 1) <= tol * max(1, w.shape[0])))
    if kind == "layer-simplex":
        return abs(w.sum() - 1) <= tol * max(1, w.size)
    return True
