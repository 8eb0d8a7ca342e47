"""The network as a torch.nn.Sequential: the source that builds it, and its state dict.

Layout: each weight layer l is an nn.Linear, then nn.BatchNorm1d(n, eps=1e-05) where the layer
is batch-normalised, then the module of its activation (nn.Identity() for a linear one, the
output layer's included). Keys follow module positions: without batch norm layer l's Linear is
module 2l and its tensors are `2l.weight`, shaped (out, in) as torch keeps it (gradstep's W_l
transposed), and `2l.bias`; a BatchNorm1d at position k holds `k.weight` (γ), `k.bias` (β),
`k.running_mean`, `k.running_var` and `k.num_batches_tracked` (an int64 scalar), and every module
after it moves one place on. A network without biases has nn.Linear(..., bias=False) and no
Linear `.bias` keys. Activation modules hold no tensors. Standardization is not a module: a
model built this way takes (x - mean) / std, with mean and std in the safetensors file's
metadata.

Everything here is numpy; torch is never imported.
"""

from __future__ import annotations

import json

import numpy as np

from gradstep import __version__
from gradstep.interchange.layers import layers
from gradstep.interchange.safetensors_file import safetensors_bytes
from gradstep.model.activations import LEAKY_SLOPE
from gradstep.model.batchnorm import EPS

MODULES = {
    "linear": "nn.Identity()",
    "relu": "nn.ReLU()",
    "leaky-relu": f"nn.LeakyReLU({LEAKY_SLOPE})",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softmax": "nn.Softmax(dim=1)",
}
"""The torch module of each gradstep activation."""

WIDTH = 88


def modules(network) -> list[tuple[str, dict[str, np.ndarray]]]:
    """The Sequential's modules in order: (the source of the module, its tensors by name)."""
    found = []
    for layer in layers(network):
        n_in, n_out = layer.weight.shape
        tensors = {"weight": np.ascontiguousarray(layer.weight.T)}
        if layer.bias is not None:
            tensors["bias"] = layer.bias
        no_bias = "" if layer.bias is not None else ", bias=False"
        found.append((f"nn.Linear({n_in}, {n_out}{no_bias})", tensors))
        if layer.norm is not None:
            gamma, beta, mean, var, tracked = layer.norm
            found.append((f"nn.BatchNorm1d({n_out}, eps={EPS})",
                          {"weight": gamma, "bias": beta, "running_mean": mean,
                           "running_var": var,
                           "num_batches_tracked": np.array(tracked, np.int64)}))
        found.append((MODULES[layer.activation], {}))
    return found


def state_dict(network) -> dict[str, np.ndarray]:
    """The tensors torch's model.state_dict() names, keyed `<module index>.<name>`."""
    return {f"{index}.{name}": tensor
            for index, (_, tensors) in enumerate(modules(network))
            for name, tensor in tensors.items()}


def sequential_source(network, width: int = WIDTH) -> str:
    """Python source for the nn.Sequential (`from torch import nn`) whose state dict
    state_dict(network) is: on one line when it fits in `width`, else one module a line.
    A float64 network ends in .double(), so its weights load without rounding."""
    parts = [source for source, _ in modules(network)]
    tail = ".double()" if network.dtype == np.float64 else ""
    line = f"nn.Sequential({', '.join(parts)}){tail}"
    if len(line) <= width:
        return line
    return "nn.Sequential(\n" + "".join(f"    {part},\n" for part in parts) + f"){tail}"


def metadata(trainer) -> dict[str, str]:
    """What a reader needs beside the tensors, as strings (JSON for lists and booleans).
    mean and std are always there (0 and 1 when the trainer does not standardize), so a
    reader can always feed the model (x - mean) / std."""
    net = trainer.network
    return {
        "format": "gradstep-state-dict",
        "gradstep_version": __version__,
        "layers": json.dumps(net.sizes),
        "activation": json.dumps(net.activations),
        "output": net.output,
        "bias": json.dumps(net.bias),
        "batch_norm": json.dumps(net.batch_norm),
        "dtype": net.dtype.name,
        "standardize": json.dumps(trainer.settings.standardize),
        "mean": json.dumps([float(v) for v in trainer.mean]),
        "std": json.dumps([float(v) for v in trainer.std]),
        "sequential": sequential_source(net, width=10**6),
    }


def safetensors_export(trainer) -> bytes:
    """The trainer's network as a .safetensors file for torch's load_state_dict."""
    return safetensors_bytes(state_dict(trainer.network), metadata(trainer))
