"""Data generators of scenario files: shapes, seeds, splits, and one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradstep.errors import ScenarioError
from gradstep.scenarios.data import DATA_KINDS, Dataset, load_data
from gradstep.scenarios.validate import (
    check_keys,
    require_choice,
    require_int,
    require_number,
    require_number_list,
    require_str_list,
)

WHERE = "presets/x.toml"
CLASSIFY = ["circle", "xor", "gauss", "spiral"]
REGRESS = ["plane", "multi-gaussian", "linear", "grades"]
GENERATED = CLASSIFY + REGRESS


def spec_for(kind: str, **keys) -> dict:
    spec = {"kind": kind}
    if kind == "linear":
        spec["coefficients"] = [2.0, -1.0]
    return spec | keys


def whole(kind: str, **keys) -> Dataset:
    """All rows, unsplit (test_fraction 0), in shuffled order."""
    train, test = load_data(spec_for(kind, test_fraction=0, **keys), None, WHERE)
    assert len(test) == 0
    return train


def error_of(spec, base_dir: Path | None = None) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_data(spec, base_dir, WHERE)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{WHERE}: [data]")
    return message


# --- every generated kind ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", GENERATED)
def test_shapes_dtypes_and_names(kind):
    data = whole(kind, samples=101)
    assert len(data) == 101 and data.x.shape == (101, len(data.feature_names))
    assert data.x.dtype == np.float64 and np.isfinite(data.x).all()
    if kind in CLASSIFY:
        assert data.task == "classification" and data.y.shape == (101,) and data.y.dtype == np.int64
        assert data.n_classes == 2 and data.target_names == ("0", "1")
        assert set(np.unique(data.y)) <= {0, 1}
        assert data.feature_names == ("x1", "x2")
    else:
        assert data.task == "regression" and data.y.shape == (101, 1) and data.y.dtype == np.float64
        assert data.n_classes == 0 and len(data.target_names) == 1
        assert np.isfinite(data.y).all()


@pytest.mark.parametrize("kind", GENERATED)
def test_same_seed_same_bits_other_seed_other_data(kind):
    a_train, a_test = load_data(spec_for(kind, seed=7, noise=0.2), None, WHERE)
    b_train, b_test = load_data(spec_for(kind, seed=7, noise=0.2), None, WHERE)
    c_train, _ = load_data(spec_for(kind, seed=8, noise=0.2), None, WHERE)
    assert a_train.x.tobytes() == b_train.x.tobytes() and a_train.y.tobytes() == b_train.y.tobytes()
    assert a_test.x.tobytes() == b_test.x.tobytes() and a_test.y.tobytes() == b_test.y.tobytes()
    assert a_train.x.tobytes() != c_train.x.tobytes()


@pytest.mark.parametrize("kind", GENERATED)
def test_default_samples_and_split(kind):
    train, test = load_data(spec_for(kind), None, WHERE)
    n = {"linear": 200, "grades": 200}.get(kind, 500 if kind in CLASSIFY else 1200)
    fraction = 0.0 if kind in ("linear", "grades") else 0.5
    assert len(train) + len(test) == n and len(test) == round(fraction * n)


@pytest.mark.parametrize("kind", GENERATED)
@pytest.mark.parametrize("fraction", [0, 0.1, 0.25, 0.5, 0.99])
def test_split_sizes_and_disjoint(kind, fraction):
    # a little noise: without it both spiral arms start with the same point (0, 0)
    train, test = load_data(spec_for(kind, samples=200, test_fraction=fraction, noise=0.1), None, WHERE)
    assert len(test) == round(fraction * 200) and len(train) == 200 - len(test)
    assert test.x.shape[1:] == train.x.shape[1:] and test.y.shape[1:] == train.y.shape[1:]
    rows = [tuple(row) for row in np.vstack([train.x, test.x])]
    assert len(set(rows)) == 200  # no row in both, none lost
    assert sorted(rows) == sorted(tuple(row) for row in whole(kind, samples=200, noise=0.1).x)


def test_arrays_are_read_only_and_subset_keeps_names():
    data = whole("grades", samples=10)
    with pytest.raises(ValueError):
        data.x[0, 0] = 1.0
    part = data.subset(np.array([0, 2]))
    assert len(part) == 2 and part.feature_names == data.feature_names and part.task == "regression"
    assert np.array_equal(part.x, data.x[[0, 2]])


# --- the playground's sets ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["circle", "gauss", "spiral"])
def test_playground_classes_balanced(kind):
    data = whole(kind, samples=501)
    assert np.bincount(data.y).tolist() == [250, 251]  # class 1 is made first, as in the playground


def test_gauss_centres_and_spread_grows_with_noise():
    data = whole("gauss", samples=4000)
    assert np.allclose(data.x[data.y == 1].mean(axis=0), [2, 2], atol=0.1)
    assert np.allclose(data.x[data.y == 0].mean(axis=0), [-2, -2], atol=0.1)
    assert np.isclose(data.x[data.y == 1].var(axis=0).mean(), 0.5, rtol=0.1)
    noisy = whole("gauss", samples=4000, noise=0.5)
    assert np.isclose(noisy.x[noisy.y == 1].var(axis=0).mean(), 4.0, rtol=0.1)


def test_circle_without_noise():
    data = whole("circle", samples=1000)
    r = np.hypot(data.x[:, 0], data.x[:, 1])
    assert (r[data.y == 1] < 2.5).all() and ((r[data.y == 0] >= 3.5) & (r[data.y == 0] <= 5)).all()
    assert np.bincount(data.y).tolist() == [500, 500]


def test_circle_noise_flips_labels_but_not_points():
    data = whole("circle", samples=1000, noise=0.5)
    r = np.hypot(data.x[:, 0], data.x[:, 1])
    assert r.max() <= 5 and ((r >= 2.5) & (data.y == 1)).any()


def test_xor_without_noise_and_padding():
    data = whole("xor", samples=1000)
    assert (np.abs(data.x) >= 0.3).all() and (np.abs(data.x) <= 5.3).all()
    assert np.array_equal(data.y, (data.x[:, 0] * data.x[:, 1] >= 0).astype(np.int64))
    noisy = whole("xor", samples=1000, noise=0.5)
    assert not np.array_equal(noisy.y, (noisy.x[:, 0] * noisy.x[:, 1] >= 0))


def test_spiral_two_arms_start_at_centre_and_reach_radius_five():
    data = whole("spiral", samples=500)
    r = np.hypot(data.x[:, 0], data.x[:, 1])
    assert r.min() == 0 and 4.9 < r.max() < 5
    assert np.bincount(data.y).tolist() == [250, 250]


def test_spiral_many_classes():
    data = whole("spiral", samples=301, classes=3)
    assert data.n_classes == 3 and data.target_names == ("0", "1", "2")
    assert np.bincount(data.y).tolist() == [101, 100, 100]


def test_plane_targets_without_noise():
    data = whole("plane", samples=300)
    assert (np.abs(data.x) <= 6).all()
    assert np.allclose(data.y[:, 0], data.x.sum(axis=1) / 10)


def test_multi_gaussian_targets_without_noise():
    data = whole("multi-gaussian", samples=2000)
    assert (np.abs(data.x) <= 6).all() and (np.abs(data.y) <= 1).all()
    assert (data.y == 0).any() and data.y.max() > 0.9 and data.y.min() < -0.9
    near = np.hypot(data.x[:, 0] + 4, data.x[:, 1] - 2.5) < 1  # the +1 bump at (-4, 2.5)
    assert np.allclose(data.y[near, 0], 1 - np.hypot(data.x[near, 0] + 4, data.x[near, 1] - 2.5) / 2)


# --- linear and grades ---------------------------------------------------------------------


def test_linear_exact_without_noise():
    data = whole("linear", coefficients=[3, -2, 0.5], intercept=4, x_range=[-2, 5])
    assert data.feature_names == ("x1", "x2", "x3") and data.target_names == ("y",)
    assert (data.x >= -2).all() and (data.x <= 5).all()
    assert np.array_equal(data.y[:, 0], data.x @ np.array([3, -2, 0.5]) + 4)


def test_linear_noise_has_the_asked_spread():
    data = whole("linear", samples=20000, coefficients=[1.0], noise=0.5)
    assert math.isclose(np.std(data.y[:, 0] - data.x[:, 0]), 0.5, rel_tol=0.05)


def test_grades_weighted_average_without_noise():
    data = whole("grades")
    assert data.feature_names == ("homework", "quizzes", "final_exam", "attendance", "project")
    assert data.target_names == ("grade",) and len(data) == 200
    assert (data.x >= 0).all() and (data.x <= 100).all()
    assert np.allclose(data.y[:, 0], data.x @ np.array([0.2, 0.2, 0.5, 0.05, 0.05]))
    other = whole("grades", shares=[0.25, 0.75])
    assert other.feature_names == ("c1", "c2")
    assert np.allclose(other.y[:, 0], other.x @ np.array([0.25, 0.75]))


# --- csv --------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def csv_spec(**keys) -> dict:
    return {"kind": "csv", "path": "d.csv", "features": ["a", "b"], "target": "t"} | keys


def test_csv_regression(tmp_path):
    write(tmp_path, "a,b,t,unused\n1,2,3,x\n4, 5 ,6.5,\n7,8,9,z\n")
    train, test = load_data(csv_spec(), tmp_path, WHERE)
    assert len(test) == 0 and train.task == "regression" and train.feature_names == ("a", "b")
    assert train.y.shape == (3, 1) and train.target_names == ("t",)
    rows = sorted(map(tuple, np.column_stack([train.x, train.y])))
    assert rows == [(1, 2, 3), (4, 5, 6.5), (7, 8, 9)]


def test_csv_text_labels_become_sorted_indices(tmp_path):
    write(tmp_path, "a,b,t\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,emu\n")
    train, _ = load_data(csv_spec(), tmp_path, WHERE)
    assert train.task == "classification" and train.n_classes == 3
    assert train.target_names == ("cat", "dog", "emu") and train.y.dtype == np.int64
    by_a = dict(zip(train.x[:, 0], train.y))
    assert by_a == {1: 1, 3: 0, 5: 1, 7: 2}


def test_csv_numeric_labels_as_classes(tmp_path):
    write(tmp_path, "a,b,t\n1,2,10\n3,4,2\n5,6,10.0\n")
    train, _ = load_data(csv_spec(task="classification"), tmp_path, WHERE)
    assert train.target_names == ("2", "10") and dict(zip(train.x[:, 0], train.y)) == {1: 1, 3: 0, 5: 1}


def test_csv_multi_target_regression_and_split(tmp_path):
    rows = "".join(f"{i},{i * 2},{i + 1},{i - 1}\n" for i in range(10))
    write(tmp_path, "a,b,t,u\n" + rows)
    train, test = load_data(csv_spec(target=["t", "u"], test_fraction=0.3, seed=3), tmp_path, WHERE)
    assert len(train) == 7 and len(test) == 3 and train.y.shape == (7, 2)
    assert train.target_names == ("t", "u")
    both = np.vstack([train.x, test.x])
    assert sorted(both[:, 0]) == list(range(10))
    assert np.array_equal(train.y, np.column_stack([train.x[:, 0] + 1, train.x[:, 0] - 1]))


def test_csv_bom_and_blank_lines(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbfa,b,t\n\n1,2,3\n4,5,6\n\n")
    train, _ = load_data(csv_spec(), tmp_path, WHERE)
    assert len(train) == 2


@pytest.mark.parametrize(
    ("text", "keys", "expected"),
    [
        (None, {}, "not found"),
        ("", {}, "empty"),
        ("1,2,3\n4,5,6\n", {}, "header"),
        ("a,b,t\n", {}, "no data rows"),
        ("a,b,x\n1,2,3\n", {}, "has no column 't'"),
        ("a,b,t\n1,2,3\n1,zz,3\n", {}, "row 3, column 'b': 'zz'"),
        ("a,b,t\n1,,3\n", {}, "column 'b' is blank"),
        ("a,b,t\n1,2\n", {}, "row 2 has 2 cells"),
        ("a,b,t\n1,2,cat\n", {"task": "regression"}, "column 't': 'cat'"),
        ("a,b,t\n1,2,1.5\n3,4,2\n", {"task": "classification"}, "whole numbers"),
        ("a,b,t\n1,2,cat\n3,4,cat\n", {}, "only one class"),
        ("a,b,t\n1,2,nan\n", {"task": "regression"}, "not a finite number"),
        ("a,b,t\n1,inf,3\n", {}, "'b': 'inf'"),
        ("a,b,t,t\n1,2,3,4\n", {}, "more than one column 't'"),
        ("a,b,t\n1,2,3\n", {"target": ["t", "a"]}, "also a feature"),
        ("a,b,t\n1,2,3\n", {"target": 5}, "column name"),
        ("a,b,t\n1,2,3\n", {"target": ["t", "b"], "features": ["a"], "task": "classification"}, "one target"),
        ("a,b,t\n1,2,3\n", {"features": []}, "features"),
        ("a,b,t\n1,2,3\n", {"task": "clustering"}, "task"),
        ("a,b,t\n1,2,3\n", {"samples": 10}, "unknown key 'samples'"),
        ("a,b,t\n1,2,3\n", {"noise": 0.1}, "unknown key 'noise'"),
        ("a,b,t\n1,2,3\n", {"test_fraction": 0.9}, "none to train on"),
        ("a,b,t\n1,2," + "x" * 200_000 + "\n", {}, "not valid CSV: field larger"),
    ],
)
def test_csv_errors(tmp_path, text, keys, expected):
    if text is not None:
        write(tmp_path, text)
    assert expected in error_of(csv_spec(**keys), tmp_path)


def test_csv_unreadable_files(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"a,b,t\n\xff\xfe,2,3\n")
    assert "UTF-8" in error_of(csv_spec(), tmp_path)
    (tmp_path / "dir.csv").mkdir()
    assert "path" in error_of(csv_spec(path="dir.csv"), tmp_path)
    assert "path" in error_of(csv_spec(path="bad\0name.csv"), tmp_path)


def test_csv_missing_column_lists_the_columns(tmp_path):
    write(tmp_path, "a,b,t\n1,2,3\n")
    message = error_of(csv_spec(features=["a", "age"]), tmp_path)
    assert "features" in message and "no column 'age'" in message and "'a', 'b', 't'" in message


# --- validation of the shared keys --------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, "kind: is required"),
        ({"kind": "moons"}, "kind: must be one of"),
        ({"kind": "circle", "colour": 1}, "unknown key 'colour'; allowed keys: kind"),
        ({"kind": "circle", "samples": "abc"}, "samples: must be an integer"),
        ({"kind": "circle", "samples": True}, "samples: must be an integer"),
        ({"kind": "circle", "samples": 2.0}, "samples: must be an integer"),
        ({"kind": "circle", "samples": 0}, "samples:"),
        ({"kind": "circle", "samples": 10**9}, "samples:"),
        ({"kind": "circle", "samples": 1}, "samples: must be at least the number of classes"),
        ({"kind": "circle", "noise": -1}, "noise: must be a number of at least 0, got -1"),
        ({"kind": "circle", "noise": "abc"}, "noise: must be a number of at least 0, got 'abc'"),
        ({"kind": "circle", "noise": math.nan}, "noise:"),
        ({"kind": "circle", "noise": math.inf}, "noise:"),
        ({"kind": "circle", "noise": False}, "noise:"),
        ({"kind": "circle", "test_fraction": 1}, "test_fraction:"),
        ({"kind": "circle", "test_fraction": -0.1}, "test_fraction:"),
        ({"kind": "circle", "seed": -1}, "seed:"),
        ({"kind": "circle", "seed": 1.5}, "seed:"),
        ({"kind": "spiral", "classes": 1}, "classes:"),
        ({"kind": "circle", "classes": 3}, "unknown key 'classes'"),
        ({"kind": "linear"}, "coefficients: is required"),
        ({"kind": "linear", "coefficients": []}, "coefficients:"),
        ({"kind": "linear", "coefficients": [1, "a"]}, "coefficients:"),
        ({"kind": "linear", "coefficients": [1, True]}, "coefficients:"),
        ({"kind": "linear", "coefficients": [1], "x_range": [1, 1]}, "x_range:"),
        ({"kind": "linear", "coefficients": [1], "x_range": [0, 1, 2]}, "x_range:"),
        ({"kind": "linear", "coefficients": [1], "intercept": math.inf}, "intercept:"),
        ({"kind": "linear", "coefficients": [1e300], "x_range": [0, 1e300]}, "overflow"),
        ({"kind": "grades", "shares": [0.5, 0.6]}, "shares: must be numbers of at least 0 that sum to 1"),
        ({"kind": "grades", "shares": [1.5, -0.5]}, "shares:"),
        ({"kind": "csv"}, "path: is required"),
        ({"kind": "plane", "samples": 1, "test_fraction": 0.9}, "none to train on"),
        ("not a table", "must be a table"),
    ],
)
def test_bad_specs(spec, expected):
    assert expected in error_of(spec)


def test_data_kinds_describe_every_kind():
    assert set(DATA_KINDS) == set(GENERATED) | {"csv", "digits"}
    assert all(text and "\n" not in text for text in DATA_KINDS.values())


# --- validate.py helpers on their own ----------------------------------------------------------


def test_validate_helpers():
    table = {"n": 3, "x": 0.5, "mode": "a", "xs": [1, 2.5], "names": ["p", "q"]}
    assert require_int(table, "n", "f.toml", "network", minimum=1) == 3
    assert require_int(table, "m", "f.toml", "network", 7) == 7
    assert require_number(table, "x", "f.toml", "training", minimum=0, below=1) == 0.5
    assert require_choice(table, "mode", "f.toml", "training", ["a", "b"]) == "a"
    assert require_number_list(table, "xs", "f.toml", "s") == [1.0, 2.5]
    assert require_str_list(table, "names", "f.toml", "s") == ["p", "q"]
    with pytest.raises(ScenarioError, match=r"^f.toml: \[network\] n: must be an integer from 5 to 9, got 3$"):
        require_int(table, "n", "f.toml", "network", minimum=5, maximum=9)
    with pytest.raises(ScenarioError, match="must be a number from 0 up to but not including 0.5"):
        require_number(table, "x", "f.toml", "training", minimum=0, below=0.5)
    with pytest.raises(ScenarioError, match=r"unknown key 'zz'; allowed keys: n, x"):
        check_keys({"n": 1, "zz": 2}, ["n", "x"], "f.toml", "network")
    with pytest.raises(ScenarioError, match="more than once"):
        require_str_list({"names": ["p", "p"]}, "names", "f.toml", "s")


def test_messages_stay_on_one_line():
    message = error_of({"kind": "circle", "noise": "a\nb", "samples": 10})
    assert "'a\\nb'" in message


# --- hypothesis: whatever the spec, only ScenarioError ------------------------------------------

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)
small = st.floats(-2, 2) | st.integers(-3, 3)
names = st.sampled_from(["a", "b", "t", "x", ""])
VALUES = {  # mostly plausible values, so that examples get past the first check
    "samples": st.integers(-2, 300),
    "noise": st.floats(0, 0.6) | small,
    "test_fraction": st.floats(0, 1) | small,
    "seed": st.integers(-2, 2**64),
    "classes": st.integers(0, 12),
    "coefficients": st.lists(st.floats(-1e6, 1e6) | st.floats(), max_size=4),
    "intercept": st.floats(),
    "x_range": st.lists(st.floats(-1e300, 1e300), max_size=3),
    "shares": st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, -0.5]), max_size=5),
    "path": st.sampled_from(["d.csv", "missing.csv", ".", ""]),
    "features": st.lists(names, max_size=3),
    "target": names | st.lists(names, max_size=3),
    "task": st.sampled_from(["regression", "classification", "other"]),
    "other": junk,
}
SHARED = ["samples", "noise", "test_fraction", "seed"]
KEYS_OF = {kind: SHARED for kind in DATA_KINDS} | {
    "spiral": [*SHARED, "classes"],
    "linear": [*SHARED, "coefficients", "intercept", "x_range"],
    "grades": [*SHARED, "shares"],
    "csv": ["test_fraction", "seed", "path", "features", "target", "task"],
}


@st.composite
def specs(draw) -> dict:
    """A [data] table: mostly a real kind with its own keys, sometimes junk anywhere."""
    def rarely(strategy, usual):  # one draw in ten
        return draw(strategy if draw(st.integers(0, 9)) == 0 else usual)

    kind = rarely(junk, st.sampled_from(list(DATA_KINDS)))
    keys = KEYS_OF.get(kind, ["other"]) if isinstance(kind, str) else ["other"]
    spec = {"kind": kind}
    for _ in range(draw(st.integers(0, 6))):
        key = rarely(st.sampled_from(list(VALUES)), st.sampled_from(keys))
        spec[key] = rarely(junk, VALUES[key])
    return spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs())
def test_random_specs_raise_only_scenario_error(tmp_path, spec):
    write(tmp_path, "a,b,t,x\n1,2,x,0\n3,4,y,1\n5,6,x,2\n")
    try:
        train, test = load_data(spec, tmp_path, WHERE)
    except ScenarioError as error:
        assert "\n" not in str(error)
        return
    for part in (train, test):
        assert np.isfinite(part.x).all() and np.isfinite(part.y).all()
        assert part.x.shape[1] == len(part.feature_names)
