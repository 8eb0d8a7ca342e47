"""The network as an ONNX graph that takes raw inputs, for onnxruntime and other runtimes.

    x (batch, n_0) → [Sub mean, Div std] → Gemm W_0 b_0 → [BatchNormalization] → act → …
                   → Gemm W_L-1 b_L-1 → act → y

One Gemm per weight layer (Y = A @ W + b, with W in gradstep's (n_l, n_{l+1}) orientation, so no
transpose; no bias input when the network has none), then, in a batch-normalised layer, one
BatchNormalization node in inference form (scale γ, bias β, the running mean and variance,
epsilon 1e-5), then the layer's activation: nothing for linear, Relu, LeakyRelu (alpha 0.01),
Tanh, Sigmoid, Softmax (axis 1). When the trainer
standardizes, the graph does it first, so it takes the same raw inputs as Trainer.predict.
The batch dimension is symbolic ("batch"). Values are the network's dtype: a float32 network
gives a float32 graph, a float64 one a float64 graph (onnxruntime's CPU kernels for every op
used here take double). Two values stay 32-bit in every graph: ONNX gives LeakyRelu's alpha as
a FLOAT attribute, so a float64 graph's leaky-relu slope is float32(0.01) = 0.0099999998, and
its negative side differs from gradstep's by about 2e-8 relative; and BatchNormalization's
epsilon, so 1e-5 becomes 9.99999974738e-06, and a float64 graph with batch norm differs from
gradstep's by about 1e-12 (more where a running variance is tiny).

The onnx package is an optional extra, imported only when a graph is built, so gradstep starts
as fast without it.
"""

from __future__ import annotations

import numpy as np

from gradstep import __version__
from gradstep.errors import GradstepError
from gradstep.interchange.layers import layers, standardization
from gradstep.model.activations import LEAKY_SLOPE
from gradstep.model.batchnorm import EPS

OPSET = 17
IR_VERSION = 8  # the IR version opset 17 came with: what older runtimes still read
INPUT, OUTPUT = "x", "y"
MISSING = 'writing .onnx needs the onnx package: pip install "gradstep[onnx]"'

ACTIVATIONS: dict[str, tuple[str, dict] | None] = {
    "linear": None,
    "relu": ("Relu", {}),
    "leaky-relu": ("LeakyRelu", {"alpha": LEAKY_SLOPE}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "softmax": ("Softmax", {"axis": 1}),
}
"""The ONNX node (op, attributes) of each gradstep activation; None adds no node."""


def require_onnx():
    """The onnx module, or GradstepError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise GradstepError(MISSING) from None
    return onnx


class _Graph:
    """Nodes in order, each taking the previous node's output; constants become initializers."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype
        self.nodes: list[tuple[str, list[str], str, dict]] = []  # op, inputs, output, attributes
        self.constants: dict[str, np.ndarray] = {}
        self.value = INPUT  # the output of the last node: the next node's first input

    def constant(self, name: str, array: np.ndarray) -> str:
        self.constants[name] = np.asarray(array, self.dtype)
        return name

    def apply(self, op: str, output: str, *constants: str, **attributes) -> None:
        self.nodes.append((op, [self.value, *constants], output, attributes))
        self.value = output

    def model(self, onnx, n_in: int, n_out: int, doc: str):
        """The ModelProto; the last node's output is renamed OUTPUT."""
        helper, numpy_helper = onnx.helper, onnx.numpy_helper
        rename = {self.value: OUTPUT}
        nodes = [helper.make_node(op, [rename.get(i, i) for i in inputs],
                                  [rename.get(output, output)], name=f"{output}_{op}",
                                  **attributes)
                 for op, inputs, output, attributes in self.nodes]
        element = helper.np_dtype_to_tensor_dtype(self.dtype)
        graph = helper.make_graph(
            nodes, "gradstep",
            [helper.make_tensor_value_info(INPUT, element, ["batch", n_in])],
            [helper.make_tensor_value_info(OUTPUT, element, ["batch", n_out])],
            [numpy_helper.from_array(a, name) for name, a in self.constants.items()],
            doc_string=doc)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="gradstep", producer_version=__version__,
                                  doc_string=doc)
        model.ir_version = IR_VERSION
        return model


def onnx_model(trainer):
    """The trainer's network, with its standardization, as an onnx ModelProto."""
    onnx = require_onnx()
    net = trainer.network
    graph = _Graph(net.dtype)
    inputs = standardization(trainer)
    if inputs is not None:
        graph.apply("Sub", "centred", graph.constant("mean", inputs[0]))
        graph.apply("Div", "standardized", graph.constant("std", inputs[1]))
    for l, layer in enumerate(layers(net)):
        parameters = [graph.constant(f"W{l}", layer.weight)]
        if layer.bias is not None:
            parameters.append(graph.constant(f"b{l}", layer.bias))
        graph.apply("Gemm", f"z{l}", *parameters)
        if layer.norm is not None:
            norm = [graph.constant(f"{name}{l}", value) for name, value in
                    zip(("gamma", "beta", "running_mean", "running_var"), layer.norm[:4])]
            graph.apply("BatchNormalization", f"y{l}", *norm, epsilon=EPS)
        if ACTIVATIONS[layer.activation] is not None:
            op, attributes = ACTIVATIONS[layer.activation]
            graph.apply(op, f"a{l}", **attributes)
    sizes = net.sizes
    doc = (f"gradstep network {sizes}: hidden {', '.join(net.activations) or 'none'}, "
           f"output {net.output}; takes raw inputs"
           f"{', standardized in the graph' if inputs is not None else ''}")
    return graph.model(onnx, sizes[0], sizes[-1], doc)


def onnx_export(trainer) -> bytes:
    """The serialized model, checked by onnx's own checker first."""
    model = onnx_model(trainer)
    onnx = require_onnx()
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
