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

from gradstep.bounded import ParseLimit, loads_toml
from gradstep.errors import GradstepError, ScenarioError
from gradstep.files import FileError, read_bytes, shown
from gradstep.lesson import FOCUS, Lesson
from gradstep.live import DEFAULT_PACE, parse_pace
from gradstep.model.spec import KEYS as NETWORK_KEYS
from gradstep.model.spec import NetworkSpec
from gradstep.scenarios.data import DATA_KINDS, load_data
from gradstep.scenarios.validate import describe, fail, require_table
from gradstep.settings import TrainingSettings
from gradstep.text import one_line
from gradstep.training import Trainer

__all__ = ["COURSE", "DEFAULT_SCENARIO", "Scenario", "load_scenario", "presets_dir", "list_presets"]

DEFAULT_SCENARIO = "grades"
TOP_LEVEL = ("name", "title", "description", "watch", "focus", "data", "network", "training",
             "compare")


@dataclass(frozen=True, eq=False)
class Compare:
    """The second network of a side-by-side scenario: A's network and settings with the
    [compare] table's keys changed."""

    title: str
    network: NetworkSpec
    settings: TrainingSettings
    changed: tuple[str, ...]   # the keys [compare] sets, for saying what B is


@dataclass(frozen=True, eq=False)
class Scenario:
    """A checked scenario file. `data` is the [data] table as written (load_data checks it);
    `network` and `settings` are checked, with every default filled in."""

    lesson: Lesson
    path: Path
    data: dict[str, Any]
    network: NetworkSpec
    settings: TrainingSettings
    compare: Compare | None = None

    @property
    def name(self) -> str:
        return self.lesson.name

    @property
    def title(self) -> str:
        return self.lesson.title

    @property
    def description(self) -> str:
        return self.lesson.text

    @property
    def where(self) -> str:
        """The file as error messages name it."""
        return _display(self.path)

    def build(self, seed: int | None = None, learning_rate: float | None = None) -> Trainer:
        """Data, network and trainer; `seed` replaces the network's and trainer's seed (the
        data keep theirs), `learning_rate` the file's learning rate."""
        return self.build_all(seed, learning_rate)[0]

    def build_all(self, seed: int | None = None,
                  learning_rate: float | None = None) -> list[Trainer]:
        """[A], or [A, B] for a side-by-side scenario: B on the same data, shuffled by the same
        seed (the same batches in the same order), its network and settings per [compare]."""
        train, test = load_data(self.data, self.path.parent, self.where,
                                output=self.network.output, loss=self.settings.loss)
        parts = [(self.network, self.settings, "")]
        if self.compare is not None:
            parts.append((self.compare.network, self.compare.settings, "compare"))
        trainers, first_seed = [], None
        for spec, settings, section in parts:
            spec = spec if seed is None else spec.replace(seed=seed)
            first_seed = spec.seed if first_seed is None else first_seed
            try:
                if learning_rate is not None:
                    settings = settings.changed(learning_rate=learning_rate)
                trainers.append(Trainer(spec.build(), train, test, settings, seed=first_seed))
                trainers[-1].data_spec, trainers[-1].data_base = dict(self.data), self.path.parent
            except GradstepError as error:
                raise at_key(self.where, error, section) from None
        return trainers


def at_key(where: str, error: GradstepError, section: str = "") -> ScenarioError:
    """A core error as a scenario file's one line: `file: [table] key: reason` (the table
    `section` when given: [compare] holds keys of [network] and [training])."""
    if error.field is None:
        return ScenarioError(f"{where}: {'[' + section + '] ' if section else ''}{error}")
    table, _, key = error.field.partition(".")
    return fail(where, section or table, key or None, error.reason)


def _compare(table: Any, where: str, network: NetworkSpec, settings: TrainingSettings,
             title: str) -> Compare | None:
    """The [compare] table: any keys of [network] and [training], and its own title."""
    if table is None:
        return None
    table = dict(require_table(table, where, "compare"))
    allowed = ("title",) + NETWORK_KEYS + TrainingSettings.names()
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise fail(where, "compare", None, f"unknown key {describe(unknown[0])}; allowed: "
                   f"title and the keys of [network] and [training]")
    if not table:
        raise fail(where, "compare", None, "must change at least one key of [network] or "
                   "[training], or B would be A")
    own = table.pop("title", f"{title}, with {', '.join(sorted(table))} changed")
    if not isinstance(own, str) or not own.strip():
        raise fail(where, "compare", "title", f"must be a string, got {describe(own)}")
    net = {k: v for k, v in table.items() if k in NETWORK_KEYS}
    training = {k: v for k, v in table.items() if k in TrainingSettings.names()}
    try:
        spec = NetworkSpec.from_mapping({**network.to_dict(), **net}) if net else network
        if "layers" in net and "weights" not in net:
            spec = spec.replace(weights=None, biases=None)
        return Compare(" ".join(own.split()), spec,
                       TrainingSettings.from_mapping({**settings.as_dict(), **training}),
                       tuple(sorted(table)))
    except GradstepError as error:
        raise at_key(where, error, "compare") from None


# --- reading and checking a file --------------------------------------------------------------


def presets_dir() -> Path:
    """The shipped scenarios: gradstep/presets in an installed wheel, else the repo's presets/."""
    package = Path(__file__).resolve().parent.parent / "presets"
    if package.is_dir():
        return package
    return Path(__file__).resolve().parents[3] / "presets"


COURSE = (
    "grades", "slope-two", "negative-feature", "plane", "sum-to-one", "house-prices",
    "standardize", "l1-sparsity", "two-three-one", "xor", "circle", "features", "softmax-outputs",
    "digits", "digits-hidden", "init-zoo", "deep-normalized", "batch-norm",
)
"""The shipped scenarios as a course: a grade's shares first, the harder lessons later."""


def preset_names() -> list[str]:
    """The shipped scenarios in course order; any not in COURSE after, alphabetically."""
    folder = presets_dir()
    names = {p.stem for p in folder.glob("*.toml")} if folder.is_dir() else set()
    return [n for n in COURSE if n in names] + sorted(names - set(COURSE))


def list_presets() -> list[Scenario]:
    """Every shipped scenario, in course order."""
    return [load_scenario(presets_dir() / f"{name}.toml") for name in preset_names()]


def _display(path: Path) -> str:
    """presets/<name>.toml for a shipped file, else the path as given."""
    try:
        return f"presets/{path.resolve().relative_to(presets_dir().resolve())}"
    except (ValueError, OSError, RuntimeError):
        return shown(path)


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
        raw = read_bytes(path, "scenario")
    except FileError as error:
        if error.missing:
            raise ScenarioError(f"{where}: file not found") from None
        if "folder" in error.reason:
            raise ScenarioError(f"{where}: is a folder, not a scenario file") from None
        raise ScenarioError(f"{where}: cannot read the file: {error.reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: is not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        return loads_toml(text)
    except tomllib.TOMLDecodeError as error:
        reason = one_line(error, 200)
        raise ScenarioError(f"{where}: is not valid TOML: {reason}") from None
    except ParseLimit as error:
        raise ScenarioError(f"{where}: is not read: it {error}") from None


def _top_text(document: Mapping[str, Any], key: str, where: str, default: str,
              keep_lines: bool = False) -> str:
    value = document.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: {key}: must be a string, got {describe(value)}")
    if keep_lines:
        return "\n".join(line.strip() for line in value.strip().splitlines())
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
    description = "\n\n".join(" ".join(paragraph.split()) for paragraph in
                              _top_text(document, "description", where, "", keep_lines=True)
                              .split("\n\n") if paragraph.strip())
    watch = _top_text(document, "watch", where, "")
    if "data" not in document:
        raise ScenarioError(f"{where}: [data] table is required; its kind is one of "
                            f"{', '.join(DATA_KINDS)}")
    data = dict(require_table(document["data"], where, "data"))
    if "network" not in document:
        raise ScenarioError(f"{where}: [network] table is required, with at least layers = [...]")
    training = dict(require_table(document.get("training", {}), where, "training"))
    try:
        pace = parse_pace(training.pop("pace", DEFAULT_PACE))
    except ValueError as error:
        raise fail(where, "training", "pace", str(error)) from None
    try:
        network = NetworkSpec.from_mapping(document["network"])
        settings = TrainingSettings.from_mapping(training)
    except GradstepError as error:
        raise at_key(where, error) from None
    focus = document.get("focus", [])
    if not isinstance(focus, list) or not all(isinstance(f, str) and f in FOCUS for f in focus):
        raise ScenarioError(f"{where}: focus: must be a list of readouts among "
                            f"{', '.join(FOCUS)}, got {describe(focus)}")
    lesson = Lesson(name, title, description, watch, pace, tuple(focus))
    compare = _compare(document.get("compare"), where, network, settings, title)
    return Scenario(lesson, path, data, network, settings, compare)
