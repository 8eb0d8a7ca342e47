"""The network as other tools lay it out: one entry per weight layer, in order, and the inputs'
standardization.

Both writers (the ONNX graph, the torch Sequential) walk this one list, so they cannot disagree
about what a layer holds. A new per-layer part is one more field of Layer here and one more node
(or module) in each writer: batch normalization is `norm` = (γ, β, running mean, running
variance, batches seen), applied to z = a @ W + b before the activation in its inference form,
as the network evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.model.batchnorm import Norm


@dataclass(frozen=True)
class Layer:
    """Weight layer l: a_{l+1} = activation(a_l @ weight + bias)."""

    weight: np.ndarray        # (n_l, n_{l+1}), gradstep's orientation, the network's dtype
    bias: np.ndarray | None   # (n_{l+1},); None when the network has no biases
    activation: str           # a name from gradstep.model.activations
    norm: Norm | None = None  # batch norm between z and the activation (None: none)


def layers(network) -> list[Layer]:
    """Copies of every layer's parameters with the activation that follows them."""
    norms = network.norms() + [None]  # the output layer is never normalised
    return [Layer(w.copy(), b.copy() if network.bias else None, network.activation_of(l + 1),
                  norms[l])
            for l, (w, b) in enumerate(zip(network.weights, network.biases))]


def standardization(trainer) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, std) of the inputs, in the network's dtype, when the trainer standardizes them
    (the network then sees (x - mean) / std); None when it takes raw inputs."""
    if not trainer.settings.standardize:
        return None
    dtype = trainer.network.dtype
    return trainer.mean.astype(dtype), trainer.std.astype(dtype)
