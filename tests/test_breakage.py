"""Tests written against breakages that once passed the whole suite: each test here fails when
the behaviour it names is broken (see the list in each docstring)."""

import json
import os
from dataclasses import fields

import numpy as np
import pytest

from gradstep import cli
from gradstep.edits import Freeze, SetBias
from gradstep.errors import GradstepError
from gradstep.files import writable_path
from gradstep.model import Network
from gradstep.scenarios import load_scenario
from gradstep.scenarios.data import Dataset
from gradstep.session import load_session, save_session
from gradstep.training import Trainer, TrainingSettings
from helpers import regression, trainer


# ---- sessions keep everything ------------------------------------------------------------

def diverged_trainer():
    t = trainer((3, 8, 1), activations="relu", learning_rate=1e5, batch_size=40)
    t.run(steps=100)
    assert t.diverged
    return t


def test_a_diverged_session_is_still_diverged_after_loading(tmp_path):
    """Breaks if loading forgets `diverged` (it would train on from weights that blew up)."""
    t = diverged_trainer()
    path = tmp_path / "d.gradstep.npz"
    save_session(path, t)
    loaded, _ = load_session(path)
    assert loaded.diverged and loaded.status == t.status
    params = loaded.network.params.copy()
    assert loaded.step() is False and loaded.run(steps=5) == 0
    np.testing.assert_array_equal(loaded.network.params, params)
    assert loaded.step_count == t.step_count


def test_a_diverged_session_continued_from_the_command_line_takes_no_step(tmp_path, capsys):
    path = tmp_path / "d.gradstep.npz"
    save_session(path, diverged_trainer())
    steps = load_session(path)[0].step_count
    assert cli.main(["train", str(path), "--steps", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["diverged"] is True and result["steps"] == steps


def shifted_regression(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * [1.0, 30.0, 0.2] + [5.0, -40.0, 1.0]
    y = x @ np.array([[0.3], [0.01], [2.0]]) + 0.1 * rng.normal(size=(n, 1))
    return Dataset(x, y, "regression", 0, ("a", "b", "c"), ("y",))


@pytest.mark.parametrize("changes", [
    {"standardize": True},
    {"standardize": True, "optimizer": "adam", "l2": 0.01},
    {"loss": "mae", "l1": 0.002, "batch_size": 7, "epochs": 9, "learning_rate": 0.02},
    {"optimizer": "momentum", "standardize": False, "batch_size": 50},
])
def test_every_setting_survives_a_save_and_load(tmp_path, changes):
    """Breaks if loading forgets a training setting (standardize, say): the loaded settings
    must equal the saved ones, and the loaded trainer must see and step the same."""
    settings = TrainingSettings(**{"learning_rate": 0.01, "batch_size": 5, **changes})
    net = Network([3, 4, 1], "tanh", seed=2)
    t = Trainer(net, shifted_regression(40, 1), shifted_regression(9, 2), settings, seed=2)
    t.run(steps=11)
    path = tmp_path / "s.gradstep.npz"
    save_session(path, t)
    loaded, _ = load_session(path)
    for f in fields(TrainingSettings):
        assert getattr(loaded.settings, f.name) == getattr(t.settings, f.name), f.name
    probe = shifted_regression(6, 3).x
    np.testing.assert_array_equal(loaded.predict(probe), t.predict(probe))
    assert loaded.evaluate() == t.evaluate()
    t.run(steps=13)
    loaded.run(steps=13)
    np.testing.assert_array_equal(loaded.network.params, t.network.params)


# ---- the permission check of a file to write ---------------------------------------------

def test_a_folder_without_write_permission_is_refused(tmp_path, monkeypatch):
    """Breaks if writable_path skips its permission check. Root may write anywhere, so the
    folder's lack of permission is what os.access reports here, for this folder only."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    asked = []

    def access(path, mode, *args, **kwargs):
        if os.path.realpath(path) == os.path.realpath(locked) and mode & os.W_OK:
            asked.append(path)
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(GradstepError, match="cannot write in this folder") as info:
        writable_path(locked / "s.npz", ".gradstep.npz")
    assert str(locked) in str(info.value) and "\n" not in str(info.value)
    assert asked  # the folder itself was asked about
    assert writable_path(tmp_path / "s.npz") == tmp_path / "s.npz"  # a writable folder is fine


def test_the_command_line_refuses_an_unwritable_csv_target_before_training(tmp_path, capsys,
                                                                          monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if os.path.realpath(p)
                        == os.path.realpath(locked) else real_access(p, mode, *a, **k))
    trained = []
    monkeypatch.setattr(Trainer, "run", lambda self, *a, **k: trained.append(1))
    assert cli.main(["train", "plane", "--csv", str(locked / "h.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: --csv: ") and not trained
    assert err.rstrip().endswith(f"{locked}: cannot write in this folder")


def test_a_name_without_the_last_part_of_the_suffix_gets_the_whole_suffix(tmp_path):
    for name, written in (("s", "s.gradstep.npz"), ("s.npz", "s.npz"),
                          ("datanpz", "datanpz.gradstep.npz"), ("s.NPZ", "s.NPZ.gradstep.npz"),
                          ("s.gradstep.npz", "s.gradstep.npz")):
        assert writable_path(tmp_path / name, ".gradstep.npz") == tmp_path / written, name


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_a_read_only_folder_is_refused_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(GradstepError, match="cannot write in this folder"):
            writable_path(locked / "s.npz")
    finally:
        locked.chmod(0o700)


# ---- constraints with frozen weights -----------------------------------------------------

def test_nonnegative_holds_while_a_weight_is_frozen():
    """Breaks if `nonnegative` stops acting once any weight is frozen: the data pull every
    weight below zero, and only the constraint keeps them at 0 or above."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = x @ np.array([[-2.0], [-1.0], [-3.0]])  # every weight wants to be negative
    data = Dataset(x, y, "regression", 0, ("a", "b", "c"), ("y",))
    net = Network([3, 1], output="linear", constraint="nonnegative", bias=False,
                  weights=[[[0.5], [0.5], [0.5]]])
    t = Trainer(net, data, data.subset(np.zeros(60, bool)),
                TrainingSettings(learning_rate=0.1, batch_size=60), seed=0)
    t.apply(Freeze(0, 0, 0, True))
    t.run(steps=20)
    w = net.weights[0]
    assert w[0, 0] == 0.5  # frozen
    assert np.all(w[1:] == 0.0)  # pulled below zero, held at the boundary
    free = Network([3, 1], output="linear", constraint="none", bias=False,
                   weights=[[[0.5], [0.5], [0.5]]])
    unconstrained = Trainer(free, data, data.subset(np.zeros(60, bool)),
                            TrainingSettings(learning_rate=0.1, batch_size=60), seed=0)
    unconstrained.run(steps=20)
    assert np.all(free.weights[0] < -0.5)  # without the constraint they do go negative


def test_nonnegative_with_frozen_weights_in_one_call():
    from gradstep.model.constraints import enforce
    w = np.array([[0.5, -1.0], [-2.0, 3.0], [0.0, -0.1]])
    hold = np.array([[True, False], [False, False], [False, True]])
    with pytest.raises(Exception, match="negative"):
        enforce(w, "nonnegative", hold)  # a held weight is negative: no way to keep it
    hold[2, 1] = False
    np.testing.assert_array_equal(enforce(w, "nonnegative", hold),
                                  [[0.5, 0.0], [0.0, 3.0], [0.0, 0.0]])


# ---- a scenario's [network] bias = false ---------------------------------------------------

def test_bias_false_in_a_scenario_builds_a_network_without_biases(tmp_path):
    """Breaks if `bias = false` is ignored: the data have an offset that a bias would learn."""
    path = tmp_path / "nobias.toml"
    path.write_text('[data]\nkind = "linear"\nsamples = 50\ncoefficients = [1.5, -0.5]\n'
                    'intercept = 3.0\nnoise = 0.0\nseed = 1\n'
                    '[network]\nlayers = [2, 1]\nbias = false\ninit = "zeros"\n'
                    '[training]\nlearning_rate = 0.05\nbatch_size = 50\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.network.bias is False
    t = scenario.build()
    net = t.network
    assert net.parameter_count() == 2
    t.run(steps=200)
    assert np.all(np.concatenate(net.biases) == 0.0)
    x = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]])
    w = np.array(net.weights[0])
    np.testing.assert_allclose(t.predict(x)[:, 0], x @ w[:, 0], rtol=1e-12, atol=0)
    assert t.predict(np.zeros((1, 2)))[0, 0] == 0.0  # no offset without a bias
    with pytest.raises(GradstepError):
        t.apply(SetBias(0, 0, 1.0))


def test_the_grades_preset_has_five_weights_and_no_bias():
    t = load_scenario("grades").build()
    assert t.network.parameter_count() == 5
    t.run(steps=3)
    assert t.predict(np.zeros((1, 5)))[0, 0] == 0.0


def test_bias_true_in_a_scenario_builds_biases(tmp_path):
    t = load_scenario("plane").build()
    assert t.network.parameter_count() == 3
    t.run(steps=50)
    assert t.network.biases[0][0] != 0.0
