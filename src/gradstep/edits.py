"""Edits as small values: what a person changes, applied to a trainer.

Each edit knows how to apply itself (checking first, so a refused edit changes nothing), the
words undo uses for it (`label`), and whether it changes the network's shape or kind
(`structural`: the optimizer's memory starts again). `Trainer.apply(edit)` makes it and marks
the history; the workspace records it for undo first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradstep.budget import check_trainer, estimate_trainer, size_text
from gradstep.errors import EditError, GradstepError, SettingError
from gradstep.model.spec import MAX_PARAMETERS, check_sizes, parameter_count
from gradstep.targets import check_batches, check_fit


def check_parameters(sizes, trainer) -> None:
    """The depth, parameter and layer-size limits first (their messages are the ones a person
    expects for a huge size), saying what the network would need with this data; the caller
    then checks the memory budget."""
    net = trainer.network
    if not all(isinstance(n, int) and n >= 1 for n in sizes):
        return
    try:
        check_sizes(sizes, net.bias, net.dtype.name)
    except EditError as error:
        count = parameter_count(sizes, net.bias)
        if count <= MAX_PARAMETERS:
            raise
        need = estimate_trainer(trainer, sizes=sizes)
        raise EditError(f"that network would have {count:,} parameters and need about "
                        f"{size_text(need)} of memory with this data; the limit is "
                        f"{MAX_PARAMETERS:,} parameters", field=error.field) from None


def weight_name(layer: int, i: int, j: int, names=None) -> str:
    """W0[x1→h2]: by the neurons' names (names.py) when given, else W0[i=0, j=1]."""
    if names is None:
        return f"W{layer}[i={i}, j={j}]"
    return f"W{layer}[{names[layer][i]}→{names[layer + 1][j]}]"


def bias_name(layer: int, j: int, names=None) -> str:
    return f"b{layer}[{j if names is None else names[layer + 1][j]}]"


class Edit:
    structural = False      # the network's shape or kind changes: fresh optimizer memory
    marks_history = True    # the loss curve shows a mark and the history a row at this step

    def describe(self, names=None) -> str:
        """The words undo uses, naming neurons by `names` (names.py) when given."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        return self.describe()

    def apply(self, trainer) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class SetWeight(Edit):
    layer: int
    i: int
    j: int
    value: float

    def describe(self, names=None):
        return f"{weight_name(self.layer, self.i, self.j, names)} = {self.value:g}"

    def apply(self, trainer):
        trainer.network.set_weight(self.layer, self.i, self.j, self.value)


@dataclass(frozen=True)
class SetBias(Edit):
    layer: int
    j: int
    value: float

    def describe(self, names=None):
        return f"{bias_name(self.layer, self.j, names)} = {self.value:g}"

    def apply(self, trainer):
        trainer.network.set_bias(self.layer, self.j, self.value)


@dataclass(frozen=True)
class Nudge(Edit):
    """Add `delta` to a weight (or, with i None, to bias j)."""

    layer: int
    i: int | None
    j: int
    delta: float

    def describe(self, names=None):
        what = bias_name(self.layer, self.j, names) if self.i is None else \
            weight_name(self.layer, self.i, self.j, names)
        return f"nudge {what} by {self.delta:+g}"

    def apply(self, trainer):
        net = trainer.network
        if self.i is None:
            net.check_weight_index(self.layer, None, self.j)
            net.set_bias(self.layer, self.j, float(net.biases[self.layer][self.j]) + self.delta)
        else:
            net.check_weight_index(self.layer, self.i, self.j)
            value = float(net.weights[self.layer][self.i, self.j]) + self.delta
            net.set_weight(self.layer, self.i, self.j, value)


@dataclass(frozen=True)
class Freeze(Edit):
    layer: int
    i: int
    j: int
    frozen: bool = True

    def describe(self, names=None):
        what = weight_name(self.layer, self.i, self.j, names)
        return f"{'freeze' if self.frozen else 'unfreeze'} {what}"

    def apply(self, trainer):
        trainer.network.set_frozen(self.layer, self.i, self.j, self.frozen)


@dataclass(frozen=True)
class Resize(Edit):
    layer: int
    size: int
    structural = True

    def describe(self, names=None):
        return f"layer {self.layer}: {self.size} neurons"

    def apply(self, trainer):
        net = trainer.network
        if isinstance(self.size, int) and 0 < self.layer < len(net.sizes) - 1:
            sizes = list(net.sizes)
            sizes[self.layer] = self.size
            check_parameters(sizes, trainer)
            check_trainer(trainer, sizes=sizes, doing=f"a layer of {self.size:,} neurons")
        net.resize(self.layer, self.size)


@dataclass(frozen=True)
class InsertLayer(Edit):
    layer: int
    size: int
    activation: str | None = None
    structural = True

    def describe(self, names=None):
        return f"insert layer {self.layer}"

    def apply(self, trainer):
        net = trainer.network
        if isinstance(self.size, int) and 0 < self.layer < len(net.sizes):
            sizes = net.sizes[:self.layer] + [self.size] + net.sizes[self.layer:]
            check_parameters(sizes, trainer)
            check_trainer(trainer, sizes=sizes, doing="another layer")
        net.insert_layer(self.layer, self.size, self.activation)


@dataclass(frozen=True)
class RemoveLayer(Edit):
    layer: int
    structural = True

    def describe(self, names=None):
        return f"remove layer {self.layer}"

    def apply(self, trainer):
        trainer.network.remove_layer(self.layer)


@dataclass(frozen=True)
class SetActivation(Edit):
    """The activation of neuron layer 1..L (L: the output, whose name must suit the data)."""

    layer: int
    name: str
    structural = True

    def describe(self, names=None):
        return f"layer {self.layer} activation {self.name}"

    def apply(self, trainer):
        net = trainer.network
        if self.layer == net.depth:
            try:
                check_fit(net.sizes, self.name, trainer.raw_train, trainer.settings.loss)
            except SettingError as e:
                raise EditError(str(e)) from None
        net.set_activation(self.layer, self.name)
        if self.layer == net.depth:
            trainer.refit()  # the targets' encoding follows the output (±1 or 0/1)


@dataclass(frozen=True)
class Reinitialize(Edit):
    """New weights from the network's init (or another one), as `x` draws them; the step
    counter and history start again."""

    init: str | None = None
    seed: int | None = None
    marks_history = False

    def describe(self, names=None):
        return "reset" if self.init is None else f"reset with {self.init} weights"

    def apply(self, trainer):
        if self.init is not None:
            trainer.network.set_init(self.init)
        trainer.reset(self.seed)


@dataclass(frozen=True)
class LoadWeights(Edit):
    """New values for every weight and bias; norm: a weights file's batch-norm keys (gamma,
    beta, running_mean, running_var) for the layers the network normalises."""

    weights: Any
    biases: Any = None
    source: str = "a file"
    norm: Any = None

    def describe(self, names=None):
        return f"load weights from {self.source}"

    def apply(self, trainer):
        net = trainer.network
        shapes = _shapes(self.weights)
        expected = [w.shape for w in net.weights]
        if shapes != expected:
            raise EditError(f"its weight shapes {_words(shapes)} differ from the network's "
                            f"{_words(expected)}")
        net.load_parameters(self.weights, self.biases, self.norm)


def _shapes(matrices):
    """The (rows, columns) of each matrix in nested lists, or None where one is not a matrix."""
    if not isinstance(matrices, (list, tuple)):
        return None
    shapes = []
    for m in matrices:
        shape = getattr(m, "shape", None)
        if shape is None:
            rows = m if isinstance(m, (list, tuple)) else None
            cols = {len(r) for r in rows if isinstance(r, (list, tuple))} if rows else set()
            shape = (len(rows), cols.pop()) if rows and len(cols) == 1 and \
                all(isinstance(r, (list, tuple)) for r in rows) else None
        shapes.append(tuple(shape) if shape is not None else None)
    return shapes


def _words(shapes):
    if shapes is None:
        return "(not a list of matrices)"
    return "[" + ", ".join("?" if s is None else "×".join(map(str, s)) for s in shapes) + "]"


@dataclass(frozen=True)
class ChangeSettings(Edit):
    """The settings form as one change: training settings, the constraint, the dtype, the
    initialisation and batch norm (True/False: every hidden layer, or one flag per hidden
    layer), all checked before any of them is applied."""

    changes: dict = field(default_factory=dict)
    constraint: str | None = None
    dtype: str | None = None
    init: str | None = None
    batch_norm: Any = None

    @property
    def structural(self):
        return self.dtype is not None or self.batch_norm is not None

    def describe(self, names=None):
        names = list(self.changes) + [k for k in ("constraint", "dtype", "init", "batch_norm")
                                      if getattr(self, k) is not None]
        return "settings: " + ", ".join(names)

    def apply(self, trainer):
        net = trainer.network
        new = trainer.settings.changed(**self.changes)
        check_fit(net.sizes, net.output, trainer.raw_train, new.loss)
        itemsize = None
        if self.dtype is not None:
            itemsize = np.dtype(net.check_dtype(self.dtype)).itemsize
        check_trainer(trainer, settings=new, itemsize=itemsize, doing="those settings")
        if self.init is not None:
            net.check_init(self.init)
        if self.dtype is not None:
            net.check_dtype(self.dtype)
        flags = net.batch_norm if self.batch_norm is None else \
            net.check_batch_norm(self.batch_norm)
        check_batches(any(flags), len(trainer.raw_train), new.batch_size)
        if self.constraint is not None and self.constraint != net.constraint:
            net.set_constraint(self.constraint)  # checked and made whole, or refused whole
        if self.init is not None:
            net.set_init(self.init)
        trainer.set_settings(new)
        if self.dtype is not None and self.dtype != net.dtype.name:
            net.set_dtype(self.dtype)
            trainer.refit()
        if self.batch_norm is not None and flags != net.batch_norm:
            net.set_batch_norm(flags)


@dataclass(frozen=True)
class AddPoint(Edit):
    """A training point placed by hand on the plane: a class, or a target value."""

    point: tuple
    target: float

    def describe(self, names=None):
        x1, x2 = self.point
        return f"a point at ({x1:.2f}, {x2:.2f}), {self.target:g}"

    def apply(self, trainer):
        data = trainer.raw_train
        if data.points is None:
            raise EditError("points can be added to data on a plane only")
        if data.task == "classification" and not 0 <= int(self.target) < data.n_classes:
            raise EditError(f"the class must be 0 to {data.n_classes - 1}, got {self.target:g}")
        target = int(self.target) if data.task == "classification" else float(self.target)
        trainer.set_data(data.plus(self.point, target), trainer.raw_test)


@dataclass(frozen=True)
class ChangeData(Edit):
    """The data form: a new [data] table, generated anew. The network keeps what still fits:
    the weights of inputs that stay (by name), the outputs that stay."""

    spec: dict
    structural = True

    def describe(self, names=None):
        parts = [str(self.spec.get("kind", "?"))]
        parts += [f"{k} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                  for k, v in sorted(self.spec.items()) if k != "kind"]
        text = "data: " + ", ".join(parts)
        return text if len(text) <= 80 else text[:79] + "…"

    def apply(self, trainer):
        from gradstep.scenarios.data import load_data

        try:
            train, test = load_data(self.spec, trainer.data_base, "the data",
                                    output=trainer.network.output, loss=trainer.settings.loss)
        except GradstepError as e:
            raise EditError(str(e).removeprefix("the data: ")) from None
        net, old = trainer.network, trainer.raw_train
        outputs = net.sizes[-1]
        if train.task == "classification" and (net.output == "softmax" or train.n_classes > 2
                                                or trainer.settings.loss == "cross-entropy"):
            outputs = train.n_classes
        elif train.task == "regression":
            outputs = train.y.shape[1]
        try:
            check_fit([train.x.shape[1]] + net.sizes[1:-1] + [outputs], net.output, train,
                      trainer.settings.loss)
        except SettingError as e:
            raise EditError(f"the network cannot take that data: {e}") from None
        check_trainer(trainer, sizes=[train.x.shape[1]] + net.sizes[1:-1] + [outputs],
                      data=(train, test), doing="that data")
        names = list(old.feature_names)
        rows = [names.index(n) if n in names else None for n in train.feature_names]
        if rows != list(range(len(names))) or outputs != net.sizes[-1]:
            net.reshape_io(rows, outputs)
        trainer.set_data(train, test, dict(self.spec))
