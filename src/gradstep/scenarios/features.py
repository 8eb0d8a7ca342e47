"""Input features computed from a point of the plane, as TensorFlow Playground's feature
toggles: x1, x2, x1², x2², x1·x2, sin(x1), sin(x2).

With only x1² and x2² a single linear neuron separates the circle: its two weights are the
circle's equation. The points themselves are kept beside the features, so the heatmap still
draws over the plane.
"""

from __future__ import annotations

import numpy as np

FEATURES = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1*x2": lambda p: p[:, 0] * p[:, 1],
    "sin(x1)": lambda p: np.sin(p[:, 0]),
    "sin(x2)": lambda p: np.sin(p[:, 1]),
}
DEFAULT = ("x1", "x2")


def check(names) -> tuple[str, ...] | None:
    """The names as a tuple, in the order given; None unless they are distinct known features."""
    if not isinstance(names, (list, tuple)) or not names or \
            not all(isinstance(n, str) and n in FEATURES for n in names) or \
            len(set(names)) != len(names):
        return None
    return tuple(names)


def expand(points: np.ndarray, names) -> np.ndarray:
    """The features (n, len(names)) of points (n, 2) on the plane."""
    points = np.asarray(points, float).reshape(-1, 2)
    return np.column_stack([FEATURES[n](points) for n in names]) if len(points) else \
        np.zeros((0, len(names)))
