"""What a person reads off the weights: sums per layer and per neuron, and last-step figures.

The point of the sums: nothing makes a layer's weights add up to 1. Σw, Σ|w| and Σw² are
shown per layer so that a person sees them move freely while training runs.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerReadout:
    layer: int                  # weight layer l, between neuron layers l and l+1
    sum: float                  # Σw
    abs_sum: float              # Σ|w|
    sq_sum: float               # Σw²
    neuron_sums: np.ndarray     # Σ_i W[i, j], one per neuron j of layer l+1
    bias_sum: float
    mean_abs_activation: float | None  # mean |a_{l+1}| over the last batch
    grad_norm: float | None     # ‖(dW, db)‖ of the last step


@dataclass(frozen=True)
class Readouts:
    layers: list[LayerReadout]
    sum: float
    abs_sum: float
    sq_sum: float
    bias_sum: float
    output_probability_sum: float | None  # softmax only: mean over the last batch of Σ_j p_j


def read(network, gradients=None):
    """Readouts of a network; gradients = (gw, gb) of the last step, if there was one."""
    acts = network.last_activations
    layers = []
    for l, (w, b) in enumerate(zip(network.weights, network.biases)):
        grad_norm = None
        if gradients is not None:
            gw, gb = gradients
            sq = float(np.vdot(gw[l], gw[l]))
            if gb[l] is not None:
                sq += float(np.vdot(gb[l], gb[l]))
            grad_norm = sq ** 0.5
        layers.append(LayerReadout(
            layer=l,
            sum=float(w.sum()),
            abs_sum=float(np.abs(w).sum()),
            sq_sum=float(np.vdot(w, w)),
            neuron_sums=w.sum(axis=0),
            bias_sum=float(b.sum()) if network.bias else 0.0,
            mean_abs_activation=float(np.abs(acts[l + 1]).mean()) if acts is not None else None,
            grad_norm=grad_norm,
        ))
    prob_sum = None
    if network.output == "softmax" and acts is not None:
        prob_sum = float(acts[-1].sum(axis=1).mean())
    return Readouts(
        layers=layers,
        sum=sum(r.sum for r in layers),
        abs_sum=sum(r.abs_sum for r in layers),
        sq_sum=sum(r.sq_sum for r in layers),
        bias_sum=sum(r.bias_sum for r in layers),
        output_probability_sum=prob_sum,
    )
