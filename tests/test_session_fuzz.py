"""Session files with wrong CONTENTS, re-zipped validly, so that the loader's own checks are what
is tested (flipped bytes mostly stop at the zip checksum, which tests zipfile).

Each example decodes a good session, changes its arrays (wrong shapes, wrong dtypes, NaN and
infinities, huge numbers, missing arrays) and its meta JSON (missing keys, wrong types, huge or
negative numbers), and saves a valid .npz again. Loading it must either refuse it with a
one-line SessionError naming the file, or give a trainer that is whole: its data fit its
network, it evaluates, it takes a step (or says it diverged), and it saves and loads again.
"""

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gradstep.edits import Freeze
from gradstep.lesson import Lesson
from gradstep.session import SessionError, load_session, save_session
from helpers import classes, regression, trainer


def regression_session():
    t = trainer((3, 4, 2, 1), regression(n=23), test=regression(n=7, seed=5),
                optimizer="adam", batch_size=5, l1=0.001, standardize=True)
    t.run(steps=7)
    t.apply(Freeze(0, 1, 1, True))
    t.run(steps=4)
    return t


def classifier_session():
    t = trainer((3, 5, 3), classes(n=30, k=3), test=classes(n=9, k=3, seed=4),
                activations="relu", output="softmax", loss="cross-entropy", batch_size=7,
                optimizer="momentum")
    t.run(steps=5)
    return t


def binary_session():
    t = trainer((3, 4, 1), classes(n=20, k=2), output="sigmoid", loss="bce", batch_size=6)
    t.run(steps=2)
    return t


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """{name: (arrays, meta)} of good sessions, decoded."""
    folder = tmp_path_factory.mktemp("sessions")
    out = {}
    for name, make in (("regression", regression_session), ("classifier", classifier_session),
                       ("binary", binary_session)):
        path = folder / f"{name}.npz"
        save_session(path, make(), Lesson(name, name.title(), "a lesson"))
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        out[name] = (arrays, json.loads(str(arrays.pop("meta")[()])))
    return out


def paths(tree, prefix=()):
    """Every key path into a JSON tree (dicts and lists), inner nodes included."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from paths(value, prefix + (key,))


def at(tree, path):
    for key in path:
        tree = tree[key]
    return tree


ODD_VALUES = [None, True, False, "abc", "", [], {}, [1, 2], [-1], -1, 0, 1, 2, 0.5, -0.5,
              1e308, -1e308, 10**30, 2**63, -(2**63), math.nan, math.inf, -math.inf,
              {"a": 1}, "sgd", "float32", [3, 4, 1]]
DTYPES = ["int64", "int8", "uint8", "float32", "float16", "bool", "complex128", "U5"]
ODD_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e30, -1.0, 0.0, 2**40, 7]


def mutate_array(data, a):
    kind = data.draw(st.sampled_from(["shape", "dtype", "value", "empty", "scalar", "bigger"]))
    event(f"array {kind}")
    if kind == "shape":
        flat = a.reshape(-1)
        choice = data.draw(st.sampled_from(["flat", "column", "transpose", "cut", "extra"]))
        if choice == "flat":
            return flat
        if choice == "column":
            return flat.reshape(-1, 1)
        if choice == "transpose":
            return a.T.copy()
        if choice == "cut":
            return flat[: max(len(flat) - data.draw(st.integers(1, 3)), 0)]
        return a.reshape(a.shape + (1,))
    if kind == "dtype":
        dtype = data.draw(st.sampled_from(DTYPES))
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return a.astype(dtype)
        except ValueError:  # text that is no number
            return a
    if kind == "value":
        if a.size == 0:
            return a
        out = a.astype(float) if a.dtype.kind not in "fc" else a.copy()
        index = data.draw(st.integers(0, a.size - 1))
        out.reshape(-1)[index] = data.draw(st.sampled_from(ODD_NUMBERS))
        if a.dtype.kind in "iub" and data.draw(st.booleans()):  # back to the original dtype
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = np.nan_to_num(out, posinf=2**31, neginf=-(2**31)).astype(a.dtype)
        return out
    if kind == "empty":
        return a[:0] if a.ndim else a.reshape(-1)[:0]
    if kind == "scalar":
        return np.array(data.draw(st.sampled_from(ODD_NUMBERS)))
    return np.concatenate([a, a]) if a.ndim else a


def mutate(data, arrays, meta):
    arrays, meta = dict(arrays), json.loads(json.dumps(meta))
    for _ in range(data.draw(st.integers(1, 3))):
        if data.draw(st.booleans()):  # an array
            key = data.draw(st.sampled_from(sorted(arrays)))
            if data.draw(st.sampled_from(range(10))) == 9:
                event("array deleted")
                del arrays[key]
            else:
                arrays[key] = mutate_array(data, arrays[key])
        else:  # the meta JSON
            path = data.draw(st.sampled_from(list(paths(meta))))
            parent = at(meta, path[:-1])
            if isinstance(parent, dict) and data.draw(st.sampled_from(range(5))) == 4:
                event("meta key deleted")
                del parent[path[-1]]
            else:
                event("meta value replaced")
                value = data.draw(st.sampled_from(ODD_VALUES))
                parent[path[-1]] = json.loads(json.dumps(value))  # a copy: never shared
    return arrays, meta


def check_whole(t, path):
    """A loaded trainer is whole: data fit the network, it evaluates, steps, saves and loads."""
    net = t.network
    assert np.all(np.isfinite(net.params))
    for split in (t.raw_train, t.raw_test):
        x, y = np.asarray(split.x), np.asarray(split.y)
        assert x.ndim == 2 and x.shape[1] == net.sizes[0] and np.all(np.isfinite(x))
        assert len(y) == len(x)
        if split.task == "regression":
            assert y.ndim == 2 and y.shape[1] == net.sizes[-1] and np.all(np.isfinite(y))
        else:
            assert y.ndim == 1 and y.dtype.kind in "iu"
            assert not len(y) or (y.min() >= 0 and y.max() < split.n_classes)
    # what the screens assume of the counters and the history
    assert t.step_count >= 0 and t.epoch_count >= 0
    steps = t.history.column("step")
    assert np.all(np.isfinite(steps)) and np.all(np.diff(steps) >= 0)
    assert not len(steps) or steps[-1] <= t.step_count
    assert all(isinstance(e, int) and not isinstance(e, bool) and 0 <= e <= t.step_count
               for e in t.history.edits), t.history.edits
    t.evaluate()  # a loss may be nan (finite inputs of 1e308 overflow), but it evaluates
    steps = t.step_count
    stepped = t.step()
    assert stepped or t.diverged
    assert t.step_count == steps + stepped
    assert np.all(np.isfinite(net.params))
    save_session(path, t, Lesson("again", "Again", ""))
    again, _ = load_session(path)
    np.testing.assert_array_equal(again.network.params, net.params)
    assert again.step_count == t.step_count and again.settings == t.settings


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["regression", "classifier", "binary"]), st.data())
def test_sessions_with_wrong_contents_load_whole_or_are_refused_in_one_line(tmp_path, sessions,
                                                                           name, data):
    arrays, meta = mutate(data, *sessions[name])
    path = tmp_path / "m.gradstep.npz"
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    try:
        t, label = load_session(path)
    except SessionError as e:
        message = str(e)
        assert "\n" not in message and message.startswith(str(path)), message
        event("refused")
        return
    event("loaded")
    assert all(isinstance(part, str) for part in (label.name, label.title, label.text))
    check_whole(t, tmp_path / "again.gradstep.npz")


def test_the_unchanged_sessions_load_whole(tmp_path, sessions):
    for name, (arrays, meta) in sessions.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
        t, label = load_session(path)
        assert (label.name, label.title, label.text) == (name, name.title(), "a lesson")
        check_whole(t, tmp_path / "again.npz")
