"""What to call each neuron on screen: inputs by their feature names (homework, x1), hidden
neurons h1, h2, … counting from 1 as the lessons do, outputs by their target or class.

A weight is then W0[homework→grade], not W0[i=0, j=0]: the lesson and the grid say the same.
Feature, target and class names come from files (a CSV's header): they are made printable and
cut to NAME_LENGTH characters here, once, for every place that shows them.
"""

from __future__ import annotations

from gradstep.text import printable

NAME_LENGTH = 24


def output_names(data, n_out: int) -> list[str]:
    """The output neurons: the targets (regression), the classes (one output per class), or
    the target's name for a single output scoring class 1 against class 0."""
    if data.task == "regression" or n_out == 1:
        names = [printable(n, NAME_LENGTH) for n in data.target_names] \
            if data.task == "regression" else ["y"]
        return names if len(names) == n_out else [f"y{j + 1}" for j in range(n_out)]
    classes = [printable(n, NAME_LENGTH) for n in data.target_names]
    if len(classes) == n_out:
        return [f"p({c})" for c in classes]
    return [f"y{j + 1}" for j in range(n_out)]


def neuron_names(sizes, data) -> list[list[str]]:
    """Names of the neurons of each layer 0..L, for a network of these sizes on this data."""
    inputs = [printable(n, NAME_LENGTH) for n in data.feature_names]
    if len(inputs) != sizes[0]:
        inputs = [f"x{i + 1}" for i in range(sizes[0])]
    hidden = [[f"h{j + 1}" for j in range(n)] for n in sizes[1:-1]]
    return [inputs, *hidden, output_names(data, sizes[-1])]


def trainer_names(trainer) -> list[list[str]]:
    return neuron_names(trainer.network.sizes, trainer.raw_train)


def weight_label(names, layer: int, i: int, j: int) -> str:
    """W0[homework→grade]."""
    return f"W{layer}[{names[layer][i]}→{names[layer + 1][j]}]"


def bias_label(names, layer: int, j: int) -> str:
    return f"b{layer}[{names[layer + 1][j]}]"
