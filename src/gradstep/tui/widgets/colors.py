"""Colours for what a network computes, as TensorFlow Playground paints them (numpy only).

Orange is negative (class 0), blue positive (class 1), more classes take more hues; the
strength of a colour is the confidence or the size of the value, in LEVELS steps so that a
heatmap needs few distinct styles.
"""

from __future__ import annotations

import numpy as np

from gradstep.targets import class_confidence

NEUTRAL = np.array([232, 234, 235], float)   # playground's white-ish middle
ORANGE = (245, 147, 34)                      # negative / class 0
BLUE = (8, 119, 189)                         # positive / class 1
CLASS_COLORS = np.array([ORANGE, BLUE, (39, 174, 96), (142, 68, 173), (241, 196, 15),
                         (231, 76, 60), (22, 160, 133), (233, 30, 99), (121, 85, 72),
                         (96, 125, 139)], float)
# Points: saturated colours from the xterm 256-colour cube (each channel 0, 95, 135, 175, 215
# or 255), so they look the same in a 256-colour terminal (tmux's default) as in truecolor, and
# stand out on the pale backgrounds the predictions paint.
# Class 0 is a dark orange and class 1 a navy, so that a point shows even where the network is
# sure of its own class (the brightest orange or blue background).
POINT_COLORS = np.array([(175, 95, 0), (0, 0, 175), (0, 135, 0), (135, 0, 175), (215, 0, 0),
                         (0, 135, 135), (215, 0, 135), (95, 0, 0), (95, 135, 0), (0, 95, 255)],
                        float)
LEVELS = 8              # colour levels per hue: few distinct styles, a cache that stays warm
MARGIN = 0.05           # the plotted domain is the data's range widened by this fraction
MAX_POINTS = 400        # points drawn at most (evenly picked), in the plot and the heatmap



def domain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (lo, hi) of x widened by MARGIN; a constant or empty column gets ±1."""
    if len(x) == 0:
        return -np.ones(x.shape[1]), np.ones(x.shape[1])
    lo, hi = np.nanmin(x, axis=0).astype(float), np.nanmax(x, axis=0).astype(float)
    pad = (hi - lo) * MARGIN
    flat = ~(hi - lo > 0)
    pad[flat] = 1.0
    return lo - pad, hi + pad


def _shade(hues: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """NEUTRAL blended toward each row's hue by strength in [0, 1], quantized to LEVELS."""
    s = np.round(np.clip(strength, 0, 1) * LEVELS)[:, None] / LEVELS
    return NEUTRAL + (hues - NEUTRAL) * s


def diverging(t: np.ndarray) -> np.ndarray:
    """t in [-1, 1] to colours: orange for negative, neutral at 0, blue for positive."""
    t = np.nan_to_num(np.asarray(t, float))
    hues = np.where((t < 0)[:, None], np.array(ORANGE, float), np.array(BLUE, float))
    return _shade(hues, np.abs(t))


def by_class(labels: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Class colours (playground orange, blue, then more) with brightness by confidence."""
    return _shade(CLASS_COLORS[np.asarray(labels) % len(CLASS_COLORS)], confidence)


def clean(out: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(out, float), nan=0.0, posinf=1e300, neginf=-1e300)


def signed_scale(values: np.ndarray, trainer) -> np.ndarray:
    """A single output as t in [-1, 1]: class scores by the output's range, regression by the
    training targets' range (so the colours span what the data spans)."""
    v = clean(values)
    net = trainer.network
    if trainer.is_classification:
        if net.output == "sigmoid":
            return np.clip(2 * v - 1, -1, 1)
        return np.clip(v, -1, 1)
    y = trainer.raw_train.y[:, 0].astype(float)
    lo, hi = float(y.min()), float(y.max())
    if not hi > lo:
        return np.clip(v - lo, -1, 1)
    return np.clip(2 * (v - lo) / (hi - lo) - 1, -1, 1)


def output_colors(out: np.ndarray, trainer, discrete: bool = False) -> np.ndarray:
    """Colours (n, 3) for network outputs (n, k), as the playground colours its background;
    discrete: each point the full colour of what the network decides there."""
    if out.shape[1] >= 2 and trainer.is_classification:
        labels, confidence = class_confidence(clean(out), trainer.network.output == "softmax")
        return by_class(labels, np.ones(len(labels)) if discrete else confidence)
    t = signed_scale(out[:, 0], trainer)
    return diverging(np.where(t >= 0, 1.0, -1.0) if discrete else t)


def target_colors(data, trainer) -> np.ndarray:
    """Point colours (n, 3): class colour, or the target's place in the diverging scale."""
    if data.task == "classification":
        return POINT_COLORS[np.asarray(data.y) % len(POINT_COLORS)]
    t = signed_scale(data.y[:, 0], trainer)
    return POINT_COLORS[(t >= 0).astype(int)]


def pick(n: int, most: int) -> np.ndarray:
    """At most `most` evenly spaced indices of range(n)."""
    if n <= most:
        return np.arange(n)
    return np.linspace(0, n - 1, most).astype(int)


def pack(rgb: np.ndarray) -> np.ndarray:
    """uint8-ranged rgb (..., 3) to 0xRRGGBB ints."""
    c = np.clip(np.rint(rgb), 0, 255).astype(np.int64)
    return (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]
