"""Scenario files: a TOML file with a lesson, a [data] table, a [network] and a [training] table.

    title = "Grades: a weighted average"
    description = "What to watch and why."
    [data]      kind = "grades", ...            (checked by scenarios/data.py when built)
    [network]   layers = [5, 1], bias = false, ...
    [training]  optimizer = "sgd", learning_rate = 1e-4, epochs = 40, ...

load_scenario reads and checks a file (every key of [network] and [training] up front);
Scenario.build turns it into a Trainer. Every failure is a one-line ScenarioError naming the
file, the table, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradstep.errors import GradstepError, ScenarioError
from gradstep.model import activations, constraints, initializers, losses, optimizers
from gradstep.model.network import DTYPES, MAX_ABS_VALUE, Network
from gradstep.scenarios.data import DATA_KINDS, load_data
from gradstep.scenarios.validate import (
    check_keys,
    describe,
    fail,
    require_choice,
    require_int,
    require_number,
    require_table,
)
from gradstep.training import MAX_LEARNING_RATE, Trainer, TrainingSettings

__all__ = ["DEFAULT_SCENARIO", "Scenario", "load_scenario", "presets_dir", "list_presets"]

DEFAULT_SCENARIO = "grades"
TOP_LEVEL = ("name", "title", "description", "data", "network", "training")
NETWORK_KEYS = ("layers", "activation", "output", "bias", "init", "seed", "constraint", "dtype",
                "weights", "biases")
TRAINING_KEYS = ("loss", "optimizer", "learning_rate", "batch_size", "l1", "l2", "standardize",
                 "epochs")
MAX_LAYER_SIZE = 100_000
MAX_EPOCHS = 1_000_000
DEFAULTS = TrainingSettings()


@dataclass(frozen=True, eq=False)
class Scenario:
    """A checked scenario file. `data` is the [data] table as written (load_data checks it);
    `network` and `training` are the checked tables with every default filled in."""

    name: str
    title: str
    description: str
    path: Path
    data: dict[str, Any]
    network: dict[str, Any]
    training: dict[str, Any]

    @property
    def where(self) -> str:
        """The file as error messages name it."""
        return _display(self.path)

    def settings(self, learning_rate: float | None = None) -> TrainingSettings:
        training = dict(self.training)
        if learning_rate is not None:
            training["learning_rate"] = learning_rate
        return TrainingSettings(**training)

    def build(self, seed: int | None = None, learning_rate: float | None = None) -> Trainer:
        """Data, network and trainer; `seed` replaces the network's and trainer's seed (the
        data keep theirs), `learning_rate` the file's learning rate."""
        train, test = load_data(self.data, self.path.parent, self.where)
        net = dict(self.network)
        if seed is not None:
            net["seed"] = seed
        try:
            network = Network(net["layers"], net["activation"], net["output"], bias=net["bias"],
                              init=net["init"], seed=net["seed"], constraint=net["constraint"],
                              dtype=net["dtype"], weights=net["weights"], biases=net["biases"])
        except GradstepError as error:
            raise self._error(*_place_of_network(str(error))) from None
        try:
            return Trainer(network, train, test, self.settings(learning_rate), seed=net["seed"])
        except GradstepError as error:
            raise self._error(*_place_of_fit(str(error), net)) from None

    def _error(self, section: str, key: str | None, message: str) -> ScenarioError:
        return fail(self.where, section, key, message)


def _place_of_network(message: str) -> tuple[str, str | None, str]:
    """The key a Network complaint belongs to (shapes of weights were checked on loading)."""
    if message.startswith(("weights", "biases")):
        return "network", None, message
    return "network", "layers", message


def _place_of_fit(message: str, network: Mapping[str, Any]) -> tuple[str, str | None, str]:
    """The table and key a Trainer's complaint (settings, or network against data) belongs to."""
    if message.startswith("learning_rate"):
        return "training", "learning_rate", message.removeprefix("learning_rate ")
    if "loss needs a" in message:
        return "network", "output", message
    if message.startswith("softmax and cross-entropy"):
        return ("network", "output", message) if network["output"] == "softmax" else \
            ("training", "loss", message)
    if message.startswith("the bce loss"):
        return "training", "loss", message
    return "network", "layers", message


# --- reading and checking a file --------------------------------------------------------------


def presets_dir() -> Path:
    """The shipped scenarios: gradstep/presets in an installed wheel, else the repo's presets/."""
    package = Path(__file__).resolve().parent.parent / "presets"
    if package.is_dir():
        return package
    return Path(__file__).resolve().parents[3] / "presets"


def preset_names() -> list[str]:
    folder = presets_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def list_presets() -> list[Scenario]:
    """Every shipped scenario, sorted by name."""
    return [load_scenario(presets_dir() / f"{name}.toml") for name in preset_names()]


def _display(path: Path) -> str:
    """presets/<name>.toml for a shipped file, else the path as given."""
    try:
        return f"presets/{path.resolve().relative_to(presets_dir().resolve())}"
    except (ValueError, OSError):
        return str(path)


def _is_path(name: str) -> bool:
    return name.endswith(".toml") or "/" in name or "\\" in name or name.startswith(".")


def _locate(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path) or _is_path(name_or_path):
        return Path(name_or_path)
    names = preset_names()
    if name_or_path not in names:
        shipped = ", ".join(names) or "none"
        raise ScenarioError(f"unknown scenario {describe(name_or_path)}; shipped scenarios: "
                            f"{shipped} (or give the path of a .toml file)")
    return presets_dir() / f"{name_or_path}.toml"


def _read(path: Path, where: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{where}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{where}: is a folder, not a scenario file") from None
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL byte
        reason = getattr(error, "strerror", None) or error
        raise ScenarioError(f"{where}: cannot read the file: {reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: is not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reason = " ".join(str(error).split())
        raise ScenarioError(f"{where}: is not valid TOML: {reason}") from None


def _top_text(document: Mapping[str, Any], key: str, where: str, default: str) -> str:
    value = document.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: {key}: must be a string, got {describe(value)}")
    return " ".join(value.split())


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name ("grades") or a scenario file by path, checked."""
    path = _locate(name_or_path)
    where = _display(path)
    document = _read(path, where)
    unknown = [key for key in document if key not in TOP_LEVEL]
    if unknown:
        raise ScenarioError(f"{where}: unknown top-level key or table {describe(unknown[0])}; "
                            f"allowed: {', '.join(TOP_LEVEL)}")
    name = _top_text(document, "name", where, path.stem)
    if not name or name != "".join(name.split()):
        raise ScenarioError(f"{where}: name: must be one word with no spaces, got {describe(name)}")
    title = _top_text(document, "title", where, name)
    description = _top_text(document, "description", where, "")
    if "data" not in document:
        raise ScenarioError(f"{where}: [data] table is required; its kind is one of "
                            f"{', '.join(DATA_KINDS)}")
    data = dict(require_table(document["data"], where, "data"))
    if "network" not in document:
        raise ScenarioError(f"{where}: [network] table is required, with at least layers = [...]")
    network = check_network(document["network"], where)
    training = check_training(document.get("training", {}), where)
    return Scenario(name, title, description, path, data, network, training)


def require_bool(table: Mapping[str, Any], key: str, where: str, section: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise fail(where, section, key, f"must be true or false, got {describe(value)}")
    return value


def check_network(table: Any, where: str) -> dict[str, Any]:
    """The [network] table checked, with defaults filled in."""
    section = "network"
    table = require_table(table, where, section)
    check_keys(table, NETWORK_KEYS, where, section)
    layers = table.get("layers")
    if (
        not isinstance(layers, list)
        or len(layers) < 2
        or not all(type(size) is int and 1 <= size <= MAX_LAYER_SIZE for size in layers)
    ):
        allowed = f"a list of at least 2 layer sizes (whole numbers 1 to {MAX_LAYER_SIZE:,}), " \
                  "input first, output last"
        got = "nothing" if layers is None else describe(layers)
        raise fail(where, section, "layers", f"must be {allowed}, got {got}")
    hidden = len(layers) - 2
    activation = table.get("activation", "tanh")
    names = activation if isinstance(activation, list) else [activation] * hidden
    if len(names) != hidden or not all(isinstance(n, str) and n in activations.HIDDEN for n in names):
        allowed = ", ".join(repr(n) for n in activations.HIDDEN)
        raise fail(where, section, "activation", f"must be one of {allowed}, or a list of "
                   f"{hidden} of them (one per hidden layer), got {describe(activation)}")
    checked = {
        "layers": list(layers),
        "activation": list(names),
        "output": require_choice(table, "output", where, section, activations.OUTPUT, "linear"),
        "bias": require_bool(table, "bias", where, section, True),
        "init": require_choice(table, "init", where, section, initializers.INITS, "xavier"),
        "seed": require_int(table, "seed", where, section, 0, minimum=0),
        "constraint": require_choice(table, "constraint", where, section,
                                     constraints.CONSTRAINTS, "none"),
        "dtype": require_choice(table, "dtype", where, section, DTYPES, "float64"),
    }
    shapes = [(a, b) for a, b in zip(layers, layers[1:])]
    checked["weights"] = _matrices(table, "weights", shapes, where)
    checked["biases"] = _matrices(table, "biases", [(b,) for _, b in shapes], where)
    if checked["biases"] is not None and checked["weights"] is None:
        raise fail(where, section, "biases", "needs weights too: give both, or neither")
    return checked


def _finite(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return abs(float(value)) <= MAX_ABS_VALUE
    except OverflowError:
        return False


def _matrices(table: Mapping[str, Any], key: str, shapes: list[tuple[int, ...]],
              where: str) -> list[Any] | None:
    """Nested lists of numbers, one per weight layer, each of the given shape; None if absent."""
    if key not in table:
        return None
    value = table[key]
    what = "matrix [i][j] (rows: inputs, columns: neurons)" if key == "weights" else "list"
    if not isinstance(value, list) or len(value) != len(shapes):
        raise fail(where, "network", key, f"must be a list of {len(shapes)} {what}s, one per "
                   f"weight layer, got {describe(value)}")
    for layer, (shape, given) in enumerate(zip(shapes, value)):
        rows = given if len(shape) == 2 else [given]
        want = shape if len(shape) == 2 else (1, shape[0])
        ok = isinstance(given, list) and len(rows) == want[0] and all(
            isinstance(row, list) and len(row) == want[1] and all(map(_finite, row)) for row in rows)
        if not ok:
            size = f"{shape[0]} rows of {shape[1]} numbers" if len(shape) == 2 else \
                f"{shape[0]} numbers"
            raise fail(where, "network", key, f"layer {layer} must be {size} (finite, within "
                       f"±{MAX_ABS_VALUE:g}), got {describe(given)}")
    return value


def check_training(table: Any, where: str) -> dict[str, Any]:
    """The [training] table checked, with TrainingSettings' defaults filled in."""
    section = "training"
    table = require_table(table, where, section)
    check_keys(table, TRAINING_KEYS, where, section)
    learning_rate = require_number(table, "learning_rate", where, section, DEFAULTS.learning_rate)
    if not 0 < learning_rate <= MAX_LEARNING_RATE:
        raise fail(where, section, "learning_rate", f"must be a number above 0 and at most "
                   f"{MAX_LEARNING_RATE:g}, got {describe(table['learning_rate'])}")
    return {
        "loss": require_choice(table, "loss", where, section, losses.LOSSES, DEFAULTS.loss),
        "optimizer": require_choice(table, "optimizer", where, section, optimizers.OPTIMIZERS,
                                    DEFAULTS.optimizer),
        "learning_rate": learning_rate,
        "batch_size": require_int(table, "batch_size", where, section, DEFAULTS.batch_size,
                                  minimum=1),
        "l1": require_number(table, "l1", where, section, DEFAULTS.l1, minimum=0),
        "l2": require_number(table, "l2", where, section, DEFAULTS.l2, minimum=0),
        "standardize": require_bool(table, "standardize", where, section, DEFAULTS.standardize),
        "epochs": require_int(table, "epochs", where, section, DEFAULTS.epochs, minimum=1,
                              maximum=MAX_EPOCHS),
    }
