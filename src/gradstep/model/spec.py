"""One description of a network: checked once, built into a Network, written back out.

A network reaches gradstep in three written forms (a scenario's [network] table, an exported
weights file, a session's meta) and lives as a Network. All of them are a NetworkSpec, so a
rule (sizes, names, the parameter limit, the bound on a weight) is checked in one place, and
each error names the key it concerns: a scenario file can then say `[network] layers: ...`
without re-reading the message.

The keys are those of a scenario's [network] table; `to_dict()` writes them back, so what is
exported can be pasted into a scenario and rebuilds the same network. Batch normalization's keys
(batch_norm, and gamma, beta, running_mean, running_var: one vector per normalised hidden layer)
are written only for a network that normalises some layer, so other networks' files read as
they always have.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradstep.budget import parameter_count, size_text
from gradstep.errors import EditError, field_error
from gradstep.model import activations as act
from gradstep.model import constraints
from gradstep.model.batchnorm import Norm
from gradstep.model.initializers import INITS

MAX_PARAMETERS = 2_000_000
MAX_ABS_VALUE = 1e9
MAX_LAYER_SIZE = 100_000
MAX_DEPTH = 1_000          # weight layers: each costs Python objects and a step per pass
DTYPES = ("float64", "float32")
NORM_KEYS = ("gamma", "beta", "running_mean", "running_var")
KEYS = ("layers", "activation", "output", "bias", "init", "seed", "constraint", "dtype",
        "weights", "biases", "batch_norm") + NORM_KEYS
DEFAULTS = {"activation": "tanh", "output": "linear", "bias": True, "init": "xavier", "seed": 0,
            "constraint": "none", "dtype": "float64", "weights": None, "biases": None,
            "batch_norm": False, **{key: None for key in NORM_KEYS}}


def describe(value: Any, limit: int = 40) -> str:
    """A short one-line rendering of a value for an error message."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(key: str, reason: str) -> EditError:
    return field_error(EditError, f"network.{key}", reason)


def is_whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def finite(value: Any) -> float | None:
    """A number (not a bool) as a finite float, or None (an int too big for a float included)."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def check_value(value: Any, what: str = "a weight") -> float:
    """A finite number within ±MAX_ABS_VALUE, as a float; EditError otherwise."""
    if not is_number(value):
        raise EditError(f"{what} must be a number, got {describe(value)}")
    number = finite(value)
    if number is None:
        raise EditError(f"{what} must be a finite number, got {describe(value)}")
    if abs(number) > MAX_ABS_VALUE:
        raise EditError(f"{what} must lie within ±{MAX_ABS_VALUE:g}, got {number:g}")
    return number


def check_seed(seed: Any) -> int:
    """A seed as numpy takes it: a whole number of 0 or more; EditError otherwise."""
    if not is_whole(seed) or seed < 0:
        raise EditError(f"seed must be a whole number of 0 or more, got {describe(seed)}")
    return int(seed)


def check_size(size: Any, what: str = "a layer size") -> int:
    """A whole number of at least 1 (the caller checks the parameter limit, then the cap)."""
    if not is_whole(size):
        raise EditError(f"{what} must be a whole number, got {describe(size)}")
    if size < 1:
        raise EditError(f"{what} must be at least 1, got {size}")
    return int(size)


def check_sizes(sizes, bias: bool, dtype: str) -> None:
    """The depth, the parameter limit (it says how much memory), then the largest layer."""
    check_depth(sizes)
    check_limit(sizes, bias, dtype)
    if max(sizes) > MAX_LAYER_SIZE:
        raise _fail("layers", f"a layer of {max(sizes):,} neurons is more than the "
                              f"{MAX_LAYER_SIZE:,} allowed")


def check_depth(sizes) -> None:
    if len(sizes) - 1 > MAX_DEPTH:
        raise _fail("layers", f"that network would have {len(sizes) - 1:,} weight layers; the "
                              f"limit is {MAX_DEPTH:,}")


def check_limit(sizes, bias: bool, dtype: str = "float64") -> None:
    count = parameter_count(sizes, bias)
    if count > MAX_PARAMETERS:
        weights = count * np.dtype(dtype).itemsize * 4  # weights, gradients, two Adam moments
        raise _fail("layers", f"that network would have {count:,} parameters (their values, "
                              f"gradients and optimizer state alone would take about "
                              f"{size_text(weights)}); the limit is {MAX_PARAMETERS:,} parameters")


def choice(value: Any, allowed, key: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise _fail(key, f"must be one of {names}, got {describe(value)}")
    return value


def matrices(value: Any, shapes: list[tuple[int, ...]], key: str, dtype) -> tuple | None:
    """One array per weight layer, each of its shape, finite and within bounds; None if absent."""
    if value is None:
        return None
    one, many = ("matrix", "matrices") if key == "weights" else ("list", "lists")
    what = f"{len(shapes)} {one if len(shapes) == 1 else many}"
    if key == "weights":
        what += " [i][j] (rows: inputs, columns: neurons)"
    if not isinstance(value, (list, tuple)) or len(value) != len(shapes):
        raise _fail(key, f"must be a list of {what}, one per weight layer, "
                         f"got {describe(value)}")
    arrays = []
    for layer, (shape, given) in enumerate(zip(shapes, value)):
        try:
            a = np.array(given, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            a = None
        ok = a is not None and a.shape == shape and bool(np.all(np.abs(a) <= MAX_ABS_VALUE))
        if not ok:
            size = f"{_count(shape[0], 'row')} of {_count(shape[1], 'number')}" \
                if len(shape) == 2 else _count(shape[0], "number")
            raise _fail(key, f"layer {layer} must be {size} (finite, within ±{MAX_ABS_VALUE:g}), "
                             f"got {describe(given)}")
        arrays.append(a.astype(dtype))
    return tuple(arrays)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def check_batch_norm(value: Any, hidden: int) -> tuple[bool, ...]:
    """One flag per hidden layer from true/false (every hidden layer) or a list of them."""
    if isinstance(value, (bool, np.bool_)):
        if value and not hidden:
            raise _fail("batch_norm", "needs a hidden layer to normalise; layers gives none")
        return (bool(value),) * hidden
    if not isinstance(value, (list, tuple)) or len(value) != hidden or \
            not all(isinstance(f, (bool, np.bool_)) for f in value):
        raise _fail("batch_norm", f"must be true or false, or a list of {hidden} of them (one "
                                  f"per hidden layer), got {describe(value)}")
    return tuple(bool(f) for f in value)


def check_norm_values(values: Mapping[str, Any], layers, flags, dtype) -> dict[str, tuple]:
    """The given keys among gamma, beta, running_mean, running_var (None or absent: not given),
    each a list with one vector per normalised hidden layer, finite and within bounds (the
    running variance at least 0); EditError naming the key."""
    sizes = [n for n, on in zip(layers[1:-1], flags) if on]
    checked = {}
    for key in NORM_KEYS:
        value = values.get(key)
        if value is None:
            continue
        if not sizes:
            raise _fail(key, "is for batch-normalised layers, and batch_norm is off")
        if not isinstance(value, (list, tuple)) or len(value) != len(sizes):
            raise _fail(key, f"must be a list of {len(sizes)} lists of numbers, one per "
                             f"batch-normalised hidden layer, got {describe(value)}")
        arrays = []
        for k, (n, given) in enumerate(zip(sizes, value)):
            try:
                a = np.array(given, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                a = None
            least = 0.0 if key == "running_var" else -MAX_ABS_VALUE
            if a is None or a.shape != (n,) or not bool(np.all((a >= least) &
                                                               (a <= MAX_ABS_VALUE))):
                bound = f"0 to {MAX_ABS_VALUE:g}" if key == "running_var" else \
                    f"finite, within ±{MAX_ABS_VALUE:g}"
                raise _fail(key, f"entry {k} must be {n} numbers ({bound}), got "
                                 f"{describe(given)}")
            arrays.append(a.astype(dtype))
        checked[key] = tuple(arrays)
    return checked


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """A checked description of a network (make one with `checked` or `from_mapping`)."""

    layers: tuple[int, ...]
    activation: tuple[str, ...]   # one per hidden layer
    output: str = "linear"
    bias: bool = True
    init: str = "xavier"
    seed: int = 0
    constraint: str = "none"
    dtype: str = "float64"
    weights: tuple[np.ndarray, ...] | None = None   # [l] of shape (n_l, n_{l+1})
    biases: tuple[np.ndarray, ...] | None = None
    batch_norm: tuple[bool, ...] = ()   # one per hidden layer (empty: none)
    gamma: tuple[np.ndarray, ...] | None = None     # one per normalised hidden layer
    beta: tuple[np.ndarray, ...] | None = None
    running_mean: tuple[np.ndarray, ...] | None = None
    running_var: tuple[np.ndarray, ...] | None = None

    @classmethod
    def checked(cls, layers, activation: Any = "tanh", output: Any = "linear", bias: Any = True,
                init: Any = "xavier", seed: Any = 0, constraint: Any = "none",
                dtype: Any = "float64", weights: Any = None, biases: Any = None,
                batch_norm: Any = False, gamma: Any = None, beta: Any = None,
                running_mean: Any = None, running_var: Any = None) -> NetworkSpec:
        """Every rule, in the order a person reads the keys; EditError naming the field."""
        if not isinstance(layers, (list, tuple)) or len(layers) < 2 \
                or not all(is_whole(s) and 1 <= s <= MAX_LAYER_SIZE for s in layers):
            got = "nothing" if layers is None else describe(layers)
            raise _fail("layers", f"must be a list of at least 2 layer sizes (whole numbers 1 to "
                                  f"{MAX_LAYER_SIZE:,}), input first, output last, got {got}")
        layers = tuple(int(s) for s in layers)
        check_depth(layers)
        hidden = len(layers) - 2
        names = list(activation) if isinstance(activation, (list, tuple)) else [activation] * hidden
        if len(names) != hidden or not all(isinstance(n, str) and n in act.HIDDEN for n in names):
            allowed = ", ".join(repr(n) for n in act.HIDDEN)
            raise _fail("activation", f"must be one of {allowed}, or a list of {hidden} of them "
                                      f"(one per hidden layer), got {describe(activation)}")
        if not isinstance(bias, (bool, np.bool_)):
            raise _fail("bias", f"must be true or false, got {describe(bias)}")
        if not is_whole(seed) or seed < 0:
            raise _fail("seed", f"must be an integer of at least 0, got {describe(seed)}")
        dtype = choice(str(dtype) if isinstance(dtype, np.dtype) else dtype, DTYPES, "dtype")
        spec = cls(layers, tuple(names), choice(output, act.OUTPUT, "output"), bool(bias),
                   choice(init, INITS, "init"), int(seed),
                   choice(constraint, constraints.CONSTRAINTS, "constraint"), dtype)
        check_limit(layers, spec.bias, dtype)
        shapes = list(zip(layers, layers[1:]))
        weights = matrices(weights, shapes, "weights", dtype)
        biases = matrices(biases, [(b,) for _, b in shapes], "biases", dtype)
        if biases is not None and weights is None:
            raise _fail("biases", "needs weights too: give both, or neither")
        flags = check_batch_norm(batch_norm, hidden)
        norm = check_norm_values({"gamma": gamma, "beta": beta, "running_mean": running_mean,
                                  "running_var": running_var}, layers, flags, dtype)
        return spec.replace(weights=weights, biases=biases, batch_norm=flags, **norm)

    @classmethod
    def from_mapping(cls, table: Any) -> NetworkSpec:
        """A [network] table (TOML), a weights file or a session's meta; unknown keys refused."""
        if not isinstance(table, Mapping) or not all(isinstance(k, str) for k in table):
            raise field_error(EditError, "network", f"must be a table of key = value lines, got "
                                                    f"{describe(table)}")
        unknown = [k for k in table if k not in KEYS]
        if unknown:
            raise EditError(f"unknown key {describe(unknown[0])}; allowed keys: {', '.join(KEYS)}",
                            field="network")
        return cls.checked(**{**DEFAULTS, "layers": None, **table})

    @classmethod
    def of(cls, network, params: bool = True) -> NetworkSpec:
        """The description of a live network (with copies of its weights and biases)."""
        def copies(vectors):
            return tuple(v.copy() for v in vectors if v is not None) if params else None

        return cls(tuple(network.sizes), tuple(network.activations), network.output,
                   network.bias, network.init, network.seed, network.constraint,
                   network.dtype.name,
                   tuple(w.copy() for w in network.weights) if params else None,
                   tuple(b.copy() for b in network.biases) if params else None,
                   tuple(network.batch_norm), copies(network.gammas), copies(network.betas),
                   copies(network.running_mean), copies(network.running_var))

    def replace(self, **changes) -> NetworkSpec:
        values = {k: getattr(self, k) for k in KEYS}
        values["layers"], values["activation"] = self.layers, self.activation
        values.update(changes)
        return NetworkSpec(**values)

    @property
    def hidden(self) -> int:
        return len(self.layers) - 2

    def to_dict(self, params: bool = True) -> dict[str, Any]:
        """The [network] table's keys as plain values (JSON and TOML ready)."""
        out: dict[str, Any] = {
            "layers": list(self.layers), "activation": list(self.activation),
            "output": self.output, "bias": self.bias, "init": self.init, "seed": self.seed,
            "constraint": self.constraint, "dtype": self.dtype,
        }
        if params:
            out["weights"] = None if self.weights is None else [w.tolist() for w in self.weights]
            out["biases"] = None if self.biases is None else [b.tolist() for b in self.biases]
        if any(self.batch_norm):
            out["batch_norm"] = list(self.batch_norm)
            if params:
                for key in NORM_KEYS:
                    vectors = getattr(self, key)
                    out[key] = None if vectors is None else [v.tolist() for v in vectors]
        return out

    def norms(self) -> list[Norm | None]:
        """Each hidden layer's batch norm as the spec gives it (what it leaves out as a new
        layer starts: γ 1, β 0, running mean 0, running variance 1), or None."""
        found, k = [], 0
        for n, on in zip(self.layers[1:-1], self.batch_norm):
            if not on:
                found.append(None)
                continue
            fresh = Norm.fresh(n, self.dtype)
            given = [getattr(self, key) for key in NORM_KEYS]
            found.append(Norm(*(fresh[i] if g is None else g[k].astype(self.dtype)
                                for i, g in enumerate(given))))
            k += 1
        return found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NetworkSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def build(self):
        """A Network as described (its seed draws any weights the spec does not give)."""
        from gradstep.model.network import Network
        return Network.from_spec(self)
