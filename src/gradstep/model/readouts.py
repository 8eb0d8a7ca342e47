"""What a person reads off the weights: sums per layer and per neuron, and last-step figures.

The point of the sums: nothing makes a layer's weights add up to 1. Σw, Σ|w| and Σw² are
shown per layer so that a person sees them move freely while training runs.

Batch norm's γ and β are not weights between neurons: they are read apart from W and b. The
signal each layer's activation takes in (z = a @ W + b, or γ·ẑ + β where the layer is
normalised) is summarised over the last batch: what batch norm keeps near mean 0 and variance 1
while the weights wander, and what a constrained deep network lets fade.
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
    grad_norm: float | None     # ‖(dW, db)‖ of the last step (γ and β not included)
    gamma: np.ndarray | None = None   # batch norm's scales, one per neuron j (None: no norm)
    beta: np.ndarray | None = None    # its shifts
    gamma_mean: float | None = None
    beta_mean: float | None = None
    signal_mean: float | None = None  # the activation's input over the last batch: its mean
    signal_var: float | None = None   # and each neuron's variance over the batch, averaged


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
    acts, signals = network.last_activations, network.last_preactivations
    layers = []
    for l, (w, b) in enumerate(zip(network.weights, network.biases)):
        gamma, beta = network.gammas[l], network.betas[l]
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
            gamma=None if gamma is None else gamma.copy(),
            beta=None if beta is None else beta.copy(),
            gamma_mean=None if gamma is None else float(gamma.mean()),
            beta_mean=None if beta is None else float(beta.mean()),
            signal_mean=None if signals is None else float(signals[l].mean()),
            signal_var=None if signals is None else float(signals[l].var(axis=0).mean()),
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
