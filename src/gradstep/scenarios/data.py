"""Seeded data sets for scenario files: the [data] table turned into train and test sets.

The two-dimensional sets mirror TensorFlow Playground's dataset.ts (its labels +1/-1 are our
classes 1/0, its noise slider 0-50% is our `noise` 0-0.5). `linear` and `grades` are small
regression sets whose true weights are known; `csv` reads a file of your own.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import zlib
import math
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradstep.budget import ENV as BUDGET_ENV
from gradstep.budget import memory_budget, size_text
from gradstep.errors import ScenarioError
from gradstep.files import FileError, open_regular, os_reason
from gradstep.scenarios.features import FEATURES, expand
from gradstep.scenarios.features import check as check_features
from gradstep.text import one_line, quoted
from gradstep.scenarios.validate import (
    REQUIRED,
    check_keys,
    describe,
    fail,
    require_choice,
    require_int,
    require_number,
    require_number_list,
    require_str,
    require_str_list,
    require_table,
)

__all__ = ["Dataset", "DATA_KINDS", "load_data"]

SECTION = "data"
TASKS = ("regression", "classification")
MAX_SAMPLES = 100_000
MAX_INPUTS = 100
MAX_CLASSES = 100
PLAYGROUND_CLASSIFY = 500  # playground's NUM_SAMPLES_CLASSIFY
PLAYGROUND_REGRESS = 1200  # playground's NUM_SAMPLES_REGRESS
GRADE_COMPONENTS = ("homework", "quizzes", "final_exam", "attendance", "project")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs x (n, d) and targets y: (n, k) floats for regression, (n,) class indices otherwise.

    The arrays are read-only views: a Dataset never changes after it is made.
    """

    x: np.ndarray
    y: np.ndarray
    task: str
    n_classes: int
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    image: tuple[int, int] | None = None  # (rows, columns) when the inputs are a picture
    points: np.ndarray | None = None      # (n, 2): where each row sits on the plane, for sets
                                          # drawn over a plane (x is then their features)
    features: tuple[str, ...] | None = None  # the features x is of the points (features.py)

    def __post_init__(self) -> None:
        for name in ("x", "y", "points"):
            value = getattr(self, name)
            if value is None:
                continue
            view = value.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: np.ndarray) -> Dataset:
        """The rows picked by an index array or boolean mask, same columns and names."""
        return self.replace(x=self.x[index], y=self.y[index],
                            points=None if self.points is None else self.points[index])

    def replace(self, **changes) -> Dataset:
        """A new Dataset with some fields changed (a Dataset never changes in place)."""
        return dataclasses.replace(self, **changes)

    def on_plane(self, points: np.ndarray) -> np.ndarray:
        """The inputs x for points of the plane: their features, or the points themselves."""
        return expand(points, self.features) if self.features else np.asarray(points, float)

    def plus(self, point, target) -> Dataset:
        """This data with one more row: a point of the plane and its class or target."""
        point = np.asarray(point, float).reshape(1, 2)
        y = np.asarray([target], self.y.dtype).reshape((1,) + self.y.shape[1:])
        return self.replace(x=np.concatenate([self.x, self.on_plane(point)]),
                            y=np.concatenate([self.y, y]),
                            points=np.concatenate([self.points, point]))


def _classes(x: np.ndarray, labels: np.ndarray, n_classes: int) -> Dataset:
    names = tuple(str(c) for c in range(n_classes))
    return Dataset(x, labels.astype(np.int64), "classification", n_classes, ("x1", "x2"), names)


def _regression(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], target: str) -> Dataset:
    return Dataset(x, y.reshape(-1, 1), "regression", 0, features, (target,))


def _halves(n: int) -> tuple[int, int]:
    """Sizes of class 1 and class 0: playground makes class 1 first, so it gets the odd one."""
    return n - n // 2, n // 2


# --- the playground's sets -------------------------------------------------------------------


def gauss(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    """Two Gaussians, class 1 at (2, 2) and class 0 at (-2, -2); noise widens them."""
    variance = 0.5 + (4 - 0.5) * noise / 0.5  # playground's varianceScale [0, .5] -> [.5, 4]
    n1, n0 = _halves(n)
    x = np.concatenate(
        [rng.normal(2.0, math.sqrt(variance), (n1, 2)), rng.normal(-2.0, math.sqrt(variance), (n0, 2))]
    )
    return _classes(x, np.repeat([1, 0], [n1, n0]), 2)


def circle(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5-5; labels come from the noisy point."""
    n1, n0 = _halves(n)
    r = np.concatenate([rng.uniform(0, 2.5, n1), rng.uniform(3.5, 5, n0)])
    angle = rng.uniform(0, 2 * math.pi, n)
    x = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    noisy = x + rng.uniform(-5, 5, (n, 2)) * noise
    return _classes(x, np.hypot(noisy[:, 0], noisy[:, 1]) < 2.5, 2)


def xor(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    """Four quadrants, class 1 where x*y >= 0; points pushed 0.3 away from the axes."""
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    noisy = x + rng.uniform(-5, 5, (n, 2)) * noise
    return _classes(x, noisy[:, 0] * noisy[:, 1] >= 0, 2)


def spiral(rng: np.random.Generator, n: int, noise: float, classes: int) -> Dataset:
    """Interleaved spiral arms, one per class, 1.75 turns out to radius 5."""
    if classes == 2:
        arms = [(1, 0.0), (0, math.pi)]  # as the playground: class 1 first, at angle 0
    else:
        arms = [(c, 2 * math.pi * c / classes) for c in range(classes)]
    sizes = [n // classes + (i < n % classes) for i in range(classes)]
    points, labels = [], []
    for (label, delta_t), m in zip(arms, sizes):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * math.pi + delta_t
        arm = np.column_stack([r * np.sin(t), r * np.cos(t)])
        points.append(arm + rng.uniform(-1, 1, (m, 2)) * noise)
        labels.append(np.full(m, label))
    return _classes(np.concatenate(points), np.concatenate(labels), classes)


def plane(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    """A tilted plane: y = (x1 + x2) / 10 of the noisy point, x in [-6, 6]^2."""
    x = rng.uniform(-6, 6, (n, 2))
    noisy = x + rng.uniform(-6, 6, (n, 2)) * noise
    return _regression(x, noisy.sum(axis=1) / 10, ("x1", "x2"), "y")


BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def multi_gaussian(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    """Six cones of height +-1 and radius 2; y is the cone strongest at the noisy point."""
    x = rng.uniform(-6, 6, (n, 2))
    noisy = x + rng.uniform(-6, 6, (n, 2)) * noise
    distance = np.hypot(noisy[:, None, 0] - BUMPS[:, 0], noisy[:, None, 1] - BUMPS[:, 1])
    values = BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)  # playground's labelScale [0, 2] -> [1, 0]
    strongest = values[np.arange(n), np.abs(values).argmax(axis=1)] + 0.0  # + 0.0 turns -0.0 into 0.0
    return _regression(x, strongest, ("x1", "x2"), "y")


# --- sets with known weights -------------------------------------------------------------------


def linear(
    rng: np.random.Generator,
    n: int,
    noise: float,
    coefficients: list[float],
    intercept: float,
    x_range: list[float],
) -> Dataset:
    """y = x . coefficients + intercept + N(0, 1) * noise, x uniform in x_range per input."""
    x = rng.uniform(x_range[0], x_range[1], (n, len(coefficients)))
    y = x @ np.array(coefficients) + intercept + rng.normal(0, 1, n) * noise
    return _regression(x, y, tuple(f"x{i + 1}" for i in range(len(coefficients))), "y")


def grades(rng: np.random.Generator, n: int, noise: float, shares: list[float]) -> Dataset:
    """Course grades: component scores 0-100 weighted by shares, plus N(0, 1) * noise."""
    x = rng.uniform(0, 100, (n, len(shares)))
    y = x @ np.array(shares) + rng.normal(0, 1, n) * noise
    names = GRADE_COMPONENTS if len(shares) == 5 else tuple(f"c{i + 1}" for i in range(len(shares)))
    return _regression(x, y, names, "grade")


def _spiral_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {"classes": require_int(spec, "classes", where, SECTION, 2, minimum=2, maximum=MAX_CLASSES)}


def _linear_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    coefficients = require_number_list(spec, "coefficients", where, SECTION, max_length=MAX_INPUTS)
    intercept = require_number(spec, "intercept", where, SECTION, 0.0)
    x_range = require_number_list(spec, "x_range", where, SECTION, [-1.0, 1.0], min_length=2, max_length=2)
    if not x_range[0] < x_range[1]:
        raise fail(where, SECTION, "x_range", f"must be [lo, hi] with lo < hi, got {describe(x_range)}")
    return {"coefficients": coefficients, "intercept": intercept, "x_range": x_range}


def _grades_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    default = [0.2, 0.2, 0.5, 0.05, 0.05]
    shares = require_number_list(spec, "shares", where, SECTION, default, max_length=MAX_INPUTS)
    if min(shares) < 0 or abs(sum(shares) - 1) > 1e-9:
        allowed = "numbers of at least 0 that sum to 1"
        raise fail(where, SECTION, "shares", f"must be {allowed}, got {describe(shares)}")
    return {"shares": shares}


# --- csv -----------------------------------------------------------------------------------------


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _csv_keys(spec: Mapping[str, Any], where: str) -> tuple[str, list[str], list[str], str | None]:
    """path, features, targets and task (None: decide from the target column) of a csv spec."""
    path = require_str(spec, "path", where, SECTION)
    features = require_str_list(spec, "features", where, SECTION)
    target = spec.get("target", REQUIRED)
    if isinstance(target, list):
        targets = require_str_list(spec, "target", where, SECTION)
    elif isinstance(target, str) and target.strip():
        targets = [target]
    elif target is REQUIRED:
        raise fail(where, SECTION, "target", "is required")
    else:
        allowed = "a column name or a list of column names"
        raise fail(where, SECTION, "target", f"must be {allowed}, got {describe(target)}")
    task = require_choice(spec, "task", where, SECTION, TASKS) if "task" in spec else None
    if both := set(features) & set(targets):
        raise fail(where, SECTION, "target", f"column {sorted(both)[0]!r} is also a feature")
    if task == "classification" and len(targets) > 1:
        raise fail(where, SECTION, "target", f"classification needs one target column, got {len(targets)}")
    return path, features, targets, task


MAX_COLUMNS = 10_000     # columns of a CSV file
SHOWN_COLUMNS = 5        # column names a message lists at most
SHOWN_CELL = 24          # characters of a cell or column name a message quotes at most
TEXT_CELL_BYTES = 64     # what a kept text cell costs (a Python str and its reference)
MAX_LINE = 1_000_000     # characters in one line of a CSV file
MAX_UNZIPPED = 1_000_000_000  # bytes a .csv.gz file may unpack to


def _number(text: str) -> float | None:
    """A cell as a float (nan and inf included), or None when it is not a number at all."""
    try:
        return float(text)
    except ValueError:
        return None


class _Unzipped(io.RawIOBase):
    """A gzip stream that stops past MAX_UNZIPPED bytes (a small file can unpack to any size)."""

    def __init__(self, raw, fail) -> None:
        self._gzip, self._fail, self._count = gzip.GzipFile(fileobj=raw), fail, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._gzip.readinto(buffer)
        self._count += n
        if self._count > MAX_UNZIPPED:
            raise self._fail("path", f"unpacks to more than {size_text(MAX_UNZIPPED)}")
        return n


class _Csv:
    """A CSV file read as a stream: the header, then only the columns asked for, each row
    checked as it comes (cells, numbers), within the memory budget. Cells of a file that does
    not look like the CSV asked for are never quoted; a bad cell is quoted short."""

    def __init__(self, path: Path, place: str, where: str) -> None:
        self.path, self.place, self.where = path, place, where

    def fail(self, key: str, message: str) -> ScenarioError:
        return fail(self.where, SECTION, key, f"{self.place} {message}")

    def _rows(self):
        """(line, cells) of every non-blank row; the file errors as one line. A .gz file is
        read through gzip, at most MAX_UNZIPPED bytes of it; no line is longer than MAX_LINE
        characters, so the csv module never builds a row of a billion cells."""
        try:
            with open_regular(self.path, "csv") as raw:
                binary = raw
                if self.path.suffix == ".gz":
                    binary = io.BufferedReader(_Unzipped(raw, self.fail))
                text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
                reader = csv.reader(self._lines(text))
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield reader.line_num, row
        except FileError as error:
            if error.missing:
                raise fail(self.where, SECTION, "path", f"file {self.place} not found") from None
            raise self.fail("path", f"cannot be read: {error.reason}") from None
        except UnicodeDecodeError:
            raise self.fail("path", "is not UTF-8 text") from None
        except (EOFError, gzip.BadGzipFile, zlib.error):
            raise self.fail("path", "is not a whole gzip file") from None
        except csv.Error as error:
            raise self.fail("path", f"is not valid CSV: {one_line(error, 80)}") from None
        except OSError as error:
            raise self.fail("path", f"cannot be read: {os_reason(error)}") from None

    def _lines(self, text):
        while True:
            line = text.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE:
                raise self.fail("path", f"has a line longer than {MAX_LINE:,} characters")
            yield line

    def _columns(self, header: list[str], names: list[str], key: str) -> list[int]:
        """The index of each named column in the header; an error that lists a few column
        names only when the header looks like one (more than one column)."""
        found = []
        for name in names:
            if name not in header:
                if len(header) < 2:
                    raise self.fail(key, f"has no column {quoted(name, SHOWN_CELL)}: its first row "
                                    f"is not a list of comma-separated column names")
                listed = ", ".join(quoted(h, SHOWN_CELL) for h in header[:SHOWN_COLUMNS])
                more = f", … ({len(header):,} columns)" if len(header) > SHOWN_COLUMNS else ""
                raise self.fail(key, f"has no column {quoted(name, SHOWN_CELL)}; its columns: "
                                f"{listed}{more}")
            if header.count(name) > 1:
                raise self.fail(key, f"has more than one column {quoted(name, SHOWN_CELL)}")
            found.append(header.index(name))
        return found

    def read(self, features: list[str], targets: list[str], numeric_targets: bool):
        """(x, target columns, lines): x (n, d) floats; the targets as floats (n, t) when
        numeric_targets, else the text of the one target column; the line of each row."""
        rows = self._rows()
        first = next(rows, None)
        if first is None:
            raise self.fail("path", "is empty")
        header = [cell.strip() for cell in first[1]]
        if len(header) > MAX_COLUMNS:
            raise self.fail("path", f"has {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
        if all(_finite(cell) is not None for cell in header):
            raise self.fail("path", "needs a header row of column names first; its first row "
                            "holds only numbers")
        at_x = self._columns(header, features, "features")
        at_y = self._columns(header, targets, "target")
        per_row = 3 * 8 * (len(at_x) + len(at_y)) + (0 if numeric_targets else TEXT_CELL_BYTES)
        most = max(1, memory_budget() // per_row)
        x = array("d")
        y = array("d")
        texts: list[str] = []
        lines = array("q")
        width = len(header)
        for line, cells in rows:
            if len(cells) != width:
                raise self.fail("path", f"row {line} has {len(cells)} cells, the header has {width}")
            if len(lines) >= most:
                self._too_many(most, len(at_x) + len(at_y), per_row)
            lines.append(line)
            x.extend(self._floats(cells, at_x, features, line, "features"))
            if numeric_targets:
                y.extend(self._floats(cells, at_y, targets, line, "target"))
            else:
                text = cells[at_y[0]].strip()
                if not text:
                    raise self.fail("target", f"row {line}, column "
                                    f"{quoted(targets[0], SHOWN_CELL)} is blank")
                texts.append(text)
        if not lines:
            raise self.fail("path", "has a header but no data rows")
        n = len(lines)
        x_array = np.frombuffer(x, dtype=np.float64).reshape(n, len(at_x))
        y_array = np.frombuffer(y, dtype=np.float64).reshape(n, len(at_y)) if numeric_targets \
            else texts
        return x_array, y_array, lines

    def _floats(self, cells: list[str], at: list[int], names: list[str], line: int,
                key: str) -> list[float]:
        try:
            values = [float(cells[i]) for i in at]
        except ValueError:
            values = []
        if len(values) == len(at) and all(map(math.isfinite, values)):
            return values
        for i, name in zip(at, names):  # which cell, said once
            text = cells[i].strip()
            column = quoted(name, SHOWN_CELL)
            if not text:
                raise self.fail(key, f"row {line}, column {column} is blank")
            if _finite(text) is None:
                raise self.fail(key, f"row {line}, column {column}: {quoted(text, SHOWN_CELL)} is "
                                f"not a finite number")
        raise AssertionError("unreachable")

    def _too_many(self, most: int, columns: int, per_row: int) -> None:
        raise self.fail("path", f"has more than {most:,} rows of {columns:,} columns: its data "
                        f"would need more than {size_text(most * per_row)} of memory; the memory "
                        f"budget is {size_text(memory_budget())} (set {BUDGET_ENV} to change it)")


def _labels(cells: list[str], lines, name: str, fail) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices and names of a target column, sorted by text or by whole-number value."""
    numbers = [_finite(text) for text in cells]
    if None in numbers:
        names = sorted(set(cells))
        keys = cells
    else:
        for line, text, number in zip(lines, cells, numbers):
            if not number.is_integer():  # type: ignore[union-attr]
                raise fail("target", f"row {line}, column {quoted(name, SHOWN_CELL)}: class labels "
                           f"must be whole numbers or text, got {quoted(text, SHOWN_CELL)}")
        keys = [str(int(number)) for number in numbers]  # type: ignore[arg-type]
        names = sorted(set(keys), key=int)
    if len(names) < 2:
        raise fail("target", f"column {quoted(name, SHOWN_CELL)} has only one class "
                   f"{quoted(names[0], SHOWN_CELL)}; need at least 2")
    index = {label: i for i, label in enumerate(names)}
    return np.array([index[key] for key in keys], dtype=np.int64), tuple(names)


def _task(cells: list[str], output: str | None, loss: str | None) -> str:
    """The task of one target column when [data] gives none: classification when its values
    are text, or whole numbers that a softmax output or a cross-entropy or bce loss takes as
    classes; regression otherwise (nan and inf are numbers: refused as targets later)."""
    numbers = [_number(text) for text in cells]
    if None in numbers:
        return "classification"
    whole = all(math.isfinite(v) and v.is_integer() for v in numbers)  # type: ignore[arg-type]
    if whole and (output == "softmax" or loss in ("cross-entropy", "bce")):
        return "classification"
    return "regression"


def read_csv(spec: Mapping[str, Any], base_dir: Path | None, where: str,
             output: str | None = None, loss: str | None = None) -> Dataset:
    """The columns named by `features` and `target` of the CSV file at `path`. Without a
    `task`, the network's output activation and loss help decide it (see _task)."""
    path_text, features, targets, task = _csv_keys(spec, where)
    path = Path(path_text)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    table = _Csv(path, quoted(path_text, 60), where)
    numeric = task == "regression" or len(targets) > 1
    x, y, lines = table.read(features, targets, numeric)
    if not numeric:
        task = task or _task(y, output, loss)
        if task == "regression":
            numbers = np.array([_number(text) for text in y], dtype=np.float64)
            for line, text, value in zip(lines, y, numbers):
                if not math.isfinite(value):
                    raise table.fail("target", f"row {line}, column {quoted(targets[0], SHOWN_CELL)}: "
                                     f"{quoted(text, SHOWN_CELL)} is not a finite number")
            y = numbers.reshape(-1, 1)
    if task is None or task == "regression":
        return Dataset(x, y, "regression", 0, tuple(features), tuple(targets))
    labels, names = _labels(y, lines, targets[0], table.fail)
    return Dataset(x, labels, "classification", len(names), tuple(features), names)


# --- digits ------------------------------------------------------------------------------------

DIGITS_FILE = "digits.csv.gz"  # presets/: the UCI handwritten digits as scikit-learn ships them


def digits(spec: Mapping[str, Any], base_dir: Path | None, where: str, **_) -> Dataset:
    """The 1,797 8×8 handwritten digits (pixels 0–16, classes 0–9): each input a pixel."""
    from gradstep.scenarios.scenario import presets_dir

    columns = [f"r{r}c{c}" for r in range(8) for c in range(8)]
    data = read_csv({"path": str(presets_dir() / DIGITS_FILE), "features": columns,
                     "target": "digit", "task": "classification"}, None, where)
    return data.replace(image=(8, 8))


# --- the table of kinds and load_data ------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    description: str
    task: str
    samples: int  # default number of samples (0: the file decides)
    test_fraction: float  # default
    generate: Callable[..., Dataset]
    options: Callable[[Mapping[str, Any], str], dict[str, Any]] = lambda spec, where: {}
    keys: tuple[str, ...] = field(default=())  # keys of this kind besides the shared ones
    reads_file: bool = False  # no samples or noise: the file decides


_KINDS: dict[str, _Kind] = {
    "circle": _Kind("two classes: a disc inside a ring (playground)", "classification",
                    PLAYGROUND_CLASSIFY, 0.5, circle),
    "xor": _Kind("two classes in alternating quadrants (playground)", "classification",
                 PLAYGROUND_CLASSIFY, 0.5, xor),
    "gauss": _Kind("two classes: two Gaussian clusters (playground)", "classification",
                   PLAYGROUND_CLASSIFY, 0.5, gauss),
    "spiral": _Kind("interleaved spiral arms, one class per arm (playground)", "classification",
                    PLAYGROUND_CLASSIFY, 0.5, spiral, _spiral_options, ("classes",)),
    "plane": _Kind("regression on a tilted plane (playground)", "regression",
                   PLAYGROUND_REGRESS, 0.5, plane),
    "multi-gaussian": _Kind("regression on six +-1 bumps (playground)", "regression",
                            PLAYGROUND_REGRESS, 0.5, multi_gaussian),
    "linear": _Kind("regression y = x . coefficients + intercept", "regression",
                    200, 0.0, linear, _linear_options, ("coefficients", "intercept", "x_range")),
    "grades": _Kind("regression: final grade as weighted component scores", "regression",
                    200, 0.0, grades, _grades_options, ("shares",)),
    "csv": _Kind("columns of a CSV file with a header row", "", 0, 0.0, read_csv,
                 keys=("path", "features", "target", "task"), reads_file=True),
    "digits": _Kind("8×8 pictures of handwritten digits 0–9 (UCI, 1,797 images)",
                    "classification", 0, 0.25, digits, reads_file=True),
}

DATA_KINDS: dict[str, str] = {name: kind.description for name, kind in _KINDS.items()}


def _build(kind: _Kind, spec: Mapping[str, Any], base_dir: Path | None, where: str,
           rng: np.random.Generator, network: Mapping[str, Any]) -> Dataset:
    if kind.reads_file:
        return kind.generate(spec, base_dir, where, **network)
    samples = require_int(spec, "samples", where, SECTION, kind.samples, minimum=1, maximum=MAX_SAMPLES)
    noise = require_number(spec, "noise", where, SECTION, 0.0, minimum=0)
    options = kind.options(spec, where)
    n_classes = options.get("classes", 2)
    if kind.task == "classification" and samples < n_classes:
        allowed = f"at least the number of classes ({n_classes})"
        raise fail(where, SECTION, "samples", f"must be {allowed}, got {samples}")
    with np.errstate(all="ignore"):  # overflow is caught below, as non-finite values
        data = kind.generate(rng, samples, noise, **options)
    if not (np.isfinite(data.x).all() and np.isfinite(data.y).all()):
        raise fail(where, SECTION, None, "the generated values overflow to infinity; use smaller numbers")
    return data


def _as_image(data: Dataset, image: Any, where: str) -> Dataset:
    """The data with its inputs read as a picture of (rows, columns) pixels, row by row."""
    if not (isinstance(image, list) and len(image) == 2 and
            all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in image)):
        raise fail(where, SECTION, "image", f"must be [rows, columns] of the picture the inputs "
                   f"make, got {describe(image)}")
    if image[0] * image[1] != data.x.shape[1]:
        raise fail(where, SECTION, "image", f"{image[0]}×{image[1]} = {image[0] * image[1]} "
                   f"pixels, but the data has {data.x.shape[1]} inputs")
    return data.replace(image=(image[0], image[1]))


PLANE_KINDS = ("circle", "xor", "gauss", "spiral", "plane", "multi-gaussian")


def _on_plane(data: Dataset, spec: Mapping[str, Any], kind: str, where: str) -> Dataset:
    """A playground set keeps its points; `features` computes the inputs from them."""
    data = data.replace(points=data.x)
    if "features" not in spec:
        return data
    names = check_features(spec["features"])
    if names is None:
        raise fail(where, SECTION, "features", f"must be a list of distinct features among "
                   f"{', '.join(FEATURES)}, got {describe(spec['features'])}")
    return data.replace(x=expand(data.points, names), feature_names=names, features=names)


def load_data(spec: Mapping[str, Any], base_dir: Path | None, where: str, *,
              output: str | None = None, loss: str | None = None) -> tuple[Dataset, Dataset]:
    """Check the [data] table `spec` and return (train, test), shuffled and split by its seed.

    base_dir is the scenario file's folder (csv paths are relative to it); `where` names the
    scenario in error messages. test has round(test_fraction * n) rows and may be empty.
    output and loss (the network's output activation and the loss) decide a CSV target's task
    when [data] names none.
    """
    spec = require_table(spec, where, SECTION)
    kind = _KINDS[require_choice(spec, "kind", where, SECTION, _KINDS)]
    shared = ("kind", "seed", "test_fraction", "image") + \
        (() if kind.reads_file else ("samples", "noise"))
    if spec.get("kind") in PLANE_KINDS:
        shared += ("features",)
    check_keys(spec, shared + kind.keys, where, SECTION)
    seed = require_int(spec, "seed", where, SECTION, 0, minimum=0)
    test_fraction = require_number(
        spec, "test_fraction", where, SECTION, kind.test_fraction, minimum=0, below=1
    )
    rng = np.random.default_rng(seed)
    data = _build(kind, spec, base_dir, where, rng, {"output": output, "loss": loss})
    if spec["kind"] in PLANE_KINDS:
        data = _on_plane(data, spec, spec["kind"], where)
    elif data.x.shape[1] == 2:  # any two inputs make a plane the heatmap can draw over
        data = data.replace(points=data.x)
    if "image" in spec:
        data = _as_image(data, spec["image"], where)
    order = rng.permutation(len(data))
    n_test = round(test_fraction * len(data))
    if n_test >= len(data):
        raise fail(where, SECTION, "test_fraction", f"{test_fraction} of {len(data)} rows leaves none "
                   "to train on; use a smaller test_fraction or more rows")
    return data.subset(order[n_test:]), data.subset(order[:n_test])

