"""What a key means for the selected weight layer: the edit it makes and what to tell the person.

The app selects a weight layer l (between neuron layers l and l+1, "▸" is layer l+1); the
structural keys act on that neuron layer. Each function returns (edit, message) or raises
GradstepError saying why the key does nothing here. No Textual: the rules are tested alone.
"""

from __future__ import annotations

from gradstep.edits import InsertLayer, RemoveLayer, Resize, SetActivation
from gradstep.errors import GradstepError
from gradstep.model.activations import HIDDEN, OUTPUT
from gradstep.targets import check_fit

NEW_LAYER_SIZE = 4


def hidden_target(network, layer: int, doing: str) -> int:
    """Neuron layer layer+1 (▸) if it is hidden; GradstepError otherwise."""
    k = layer + 1
    if k >= network.depth:
        raise GradstepError(f"cannot {doing}: ▸ is the output layer, its size is set by the data; "
                            f"select the weights into a hidden layer with [ or ]")
    return k


def add_neuron(network, layer: int):
    k = hidden_target(network, layer, "add a neuron")
    size = network.sizes[k]
    return Resize(k, size + 1), (f"layer {k}: {size + 1} neurons; the new neuron's weights "
                                 f"(column j={size} here, row i={size} in W{k}) are new random "
                                 f"draws")


def remove_neuron(network, layer: int):
    k = hidden_target(network, layer, "remove a neuron")
    size = network.sizes[k]
    return Resize(k, size - 1), f"layer {k}: {size - 1} neurons; neuron {size - 1} and its " \
                                f"weights are gone"


def resize(network, layer: int, size: int):
    k = hidden_target(network, layer, "set a size")
    return Resize(k, size), f"layer {k}: {size} neurons"


def insert_layer(network, layer: int):
    k = layer + 1
    return InsertLayer(k, NEW_LAYER_SIZE), (f"new hidden layer {k} of {NEW_LAYER_SIZE} neurons: "
                                            f"W{k - 1} and W{k} are new random weights")


def remove_layer(network, layer: int):
    k = hidden_target(network, layer, "remove a layer")
    return RemoveLayer(k), f"layer {k} removed: new random weights W{k - 1} join layers " \
                           f"{k - 1} and {k}"


def next_activation(trainer, layer: int):
    """The next activation of neuron layer layer+1 that suits the data (the output's must)."""
    k, net = layer + 1, trainer.network
    choices = OUTPUT if k == net.depth else HIDDEN
    current = net.activation_of(k)
    start = choices.index(current) if current in choices else -1
    first_error = None
    for offset in range(1, len(choices)):
        name = choices[(start + offset) % len(choices)]
        if k == net.depth:
            try:
                check_fit(net.sizes, name, trainer.raw_train, trainer.settings.loss)
            except GradstepError as e:
                first_error = first_error or str(e)
                continue
        return SetActivation(k, name), (f"layer {k} activation: {name} (weights kept, optimizer "
                                        f"memory reset)")
    raise GradstepError(first_error or "no other activation")
