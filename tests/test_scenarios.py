"""Scenario files: every shipped preset loads and trains; bad files fail on one line. (What each
lesson claims is checked in test_lessons.py.)"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from gradstep.errors import ScenarioError
from gradstep.scenarios import DEFAULT_SCENARIO, Scenario, list_presets, load_scenario, presets_dir
from gradstep.scenarios import scenario as scenario_module
from gradstep.scenarios.scenario import COURSE

PRESETS = [scenario.name for scenario in list_presets()]
REQUIRED = ["grades", "slope-two", "negative-feature", "house-prices", "plane", "sum-to-one",
            "softmax-outputs", "deep-normalized", "xor", "circle", "l1-sparsity", "init-zoo",
            "two-three-one", "standardize"]
DIVERGES = {"standardize"}

_trained: dict[str, object] = {}


def trained(name: str):
    """The preset trained for its own epochs (once per test session)."""
    if name not in _trained:
        scenario = load_scenario(name)
        trainer = scenario.build()
        trainer.run(epochs=scenario.settings.epochs)
        trainer.evaluate()
        _trained[name] = trainer
    return _trained[name]


def test_presets_are_shipped_in_course_order():
    assert set(REQUIRED) <= set(PRESETS)
    assert PRESETS == list(COURSE) and PRESETS[0] == DEFAULT_SCENARIO == "grades"
    assert presets_dir().is_dir()


def test_scenarios_outside_the_course_come_after_it_alphabetically(tmp_path, monkeypatch):
    for name in ("zeta", "circle", "alpha", "grades"):
        (tmp_path / f"{name}.toml").write_text(GOOD)
    monkeypatch.setattr(scenario_module, "presets_dir", lambda: tmp_path)
    assert scenario_module.preset_names() == ["grades", "circle", "alpha", "zeta"]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_with_a_lesson(name):
    scenario = load_scenario(name)
    assert isinstance(scenario, Scenario) and scenario.name == name
    assert scenario.path == presets_dir() / f"{name}.toml"
    assert scenario.title and "\n" not in scenario.title
    sentences = scenario.description.count(". ") + 1
    assert 2 <= sentences <= 7 and len(scenario.description) > 100
    assert scenario.network.layers[0] >= 1 and scenario.settings.epochs >= 1


@pytest.mark.parametrize("name", PRESETS)
def test_preset_trains_headless(name):
    trainer = trained(name)
    scenario = load_scenario(name)
    assert trainer.diverged == (name in DIVERGES)
    if name in DIVERGES:
        assert "diverge" in scenario.description
        assert trainer.status.startswith("diverged")
    else:
        assert trainer.epoch_count == scenario.settings.epochs
        assert np.isfinite(trainer.evaluate().train_loss)
        assert "diverge" not in scenario.description


def test_load_by_path_equals_load_by_name():
    by_path = load_scenario(presets_dir() / "plane.toml")
    by_text = load_scenario(str(presets_dir() / "plane.toml"))
    assert by_path.network == by_text.network == load_scenario("plane").network


def test_build_seed_overrides_network_and_trainer_not_data():
    scenario = load_scenario("xor")
    a, b, c = scenario.build(), scenario.build(seed=123), scenario.build(seed=123)
    assert np.array_equal(a.raw_train.x, b.raw_train.x)
    assert not np.array_equal(a.network.weights[0], b.network.weights[0])
    assert np.array_equal(b.network.weights[0], c.network.weights[0])
    assert b.seed == 123 and b.network.seed == 123


def test_build_learning_rate_override():
    assert load_scenario("plane").build(learning_rate=0.5).settings.learning_rate == 0.5


# --- bad files ----------------------------------------------------------------------------------

GOOD = """
title = "t"
description = "d"
[data]
kind = "linear"
coefficients = [1.0, 2.0]
[network]
layers = [2, 1]
[training]
epochs = 2
"""

BAD_FILES = [
    # (text, words the one-line message must contain)
    ('title = "t"\n[data\nkind = 1', ["not valid TOML", "line 2"]),
    ("x = = 1", ["not valid TOML", "line 1", "column"]),
    (GOOD + "extra = 1\n", ["[training]", "unknown key 'extra'", "allowed keys", "epochs"]),
    (GOOD.replace('title = "t"', 'titel = "t"'), ["unknown top-level", "'titel'", "title"]),
    (GOOD.replace('title = "t"', "title = 3"), ["title", "must be a string"]),
    (GOOD.replace("[network]\nlayers = [2, 1]", "[network]\nlayers = [2]"), ["[network] layers", "at least 2"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 0]"), ["[network] layers", "1 to"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1.5]"), ["[network] layers"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, true]"), ["[network] layers"]),
    (GOOD.replace("layers = [2, 1]", "layers = \"2, 1\""), ["[network] layers"]),
    (GOOD.replace("layers = [2, 1]", ""), ["[network] layers", "got nothing"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 4, 1]\nactivation = \"swish\""),
     ["[network] activation", "'tanh'", "swish"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 4, 1]\nactivation = [\"tanh\", \"relu\"]"),
     ["[network] activation", "a list of 1"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\noutput = \"relu\""), ["[network] output", "'softmax'"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nbias = 1"), ["[network] bias", "true or false"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\ninit = \"ones\""), ["[network] init", "'xavier'"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nseed = -1"), ["[network] seed", "at least 0"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nseed = 1.5"), ["[network] seed"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nconstraint = \"unit\""), ["[network] constraint", "'simplex'"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\ndtype = \"float16\""), ["[network] dtype", "'float32'"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nwidth = 3"), ["[network]", "unknown key 'width'", "layers"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nweights = [[1.0, 2.0]]"), ["[network] weights", "layer 0", "2 rows of 1"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nweights = [[[1.0], [2.0]], [[1.0]]]"), ["[network] weights", "1 matrix"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nweights = [[[1.0], [nan]]]"), ["[network] weights", "finite"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nbiases = [[0.0]]"), ["[network] biases", "weights too"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nweights = [[[1.0], [2.0]]]\nbiases = [[0.0, 1.0]]"),
     ["[network] biases", "layer 0", "1 number (finite"]),
    (GOOD.replace("epochs = 2", "epochs = 0"), ["[training] epochs", "from 1 to"]),
    (GOOD.replace("epochs = 2", "learning_rate = 0"), ["[training] learning_rate", "above 0"]),
    (GOOD.replace("epochs = 2", "learning_rate = -1"), ["[training] learning_rate", "above 0"]),
    (GOOD.replace("epochs = 2", "learning_rate = inf"), ["[training] learning_rate"]),
    (GOOD.replace("epochs = 2", "learning_rate = \"fast\""), ["[training] learning_rate"]),
    (GOOD.replace("epochs = 2", "batch_size = 0"), ["[training] batch_size"]),
    (GOOD.replace("epochs = 2", "l1 = -0.1"), ["[training] l1", "at least 0"]),
    (GOOD.replace("epochs = 2", "l2 = true"), ["[training] l2"]),
    (GOOD.replace("epochs = 2", "standardize = \"yes\""), ["[training] standardize", "true or false"]),
    (GOOD.replace("epochs = 2", "loss = \"hinge\""), ["[training] loss", "'mse'"]),
    (GOOD.replace("epochs = 2", "optimizer = \"rmsprop\""), ["[training] optimizer", "'adam'"]),
    ("training = 3\n" + GOOD.replace("[training]\nepochs = 2", ""), ["[training]", "must be a table"]),
    (GOOD.replace("[data]\nkind = \"linear\"\ncoefficients = [1.0, 2.0]\n", ""), ["[data] table is required"]),
    (GOOD.replace("[network]\nlayers = [2, 1]\n", ""), ["[network] table is required"]),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 3000, 3000, 1]"),
     ["[network] layers: that network would have 9,015,001 parameters", "limit is 2,000,000"]),
]

BAD_BUILDS = [
    (GOOD.replace("layers = [2, 1]", "layers = [3, 1]"),
     "[network] layers: the data has 2 inputs (x1, x2) but the first layer has 3"),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 2]"), "[network] layers: the data has 1 target"),
    (GOOD.replace("epochs = 2", "loss = \"cross-entropy\""), "[network] output: the cross-entropy loss needs a softmax"),
    (GOOD.replace("layers = [2, 1]", "layers = [2, 1]\noutput = \"softmax\""), "[network] output: softmax"),
    (GOOD.replace("coefficients = [1.0, 2.0]", "coefficients = \"x\""), "[data] coefficients"),
    (GOOD.replace('kind = "linear"', 'kind = "csv"\npath = "missing.csv"\nfeatures = ["a"]\ntarget = "b"')
     .replace("coefficients = [1.0, 2.0]\n", ""), "[data] path: file"),
]


def one_line(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return message


@pytest.mark.parametrize("text, words", BAD_FILES)
def test_bad_file_one_line_naming_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = one_line(error, path)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("text, words", BAD_BUILDS)
def test_bad_build_one_line_naming_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)  # fits on its own: only data and network together do not
    with pytest.raises(ScenarioError) as error:
        scenario.build()
    assert words in one_line(error, path)


def test_good_file_loads_with_defaults(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "good" and scenario.title == "t" and scenario.description == "d"
    assert scenario.network.to_dict() == {"layers": [2, 1], "activation": [], "output": "linear", "bias": True,
                                "init": "xavier", "seed": 0, "constraint": "none", "dtype": "float64",
                                "weights": None, "biases": None}
    assert scenario.settings.epochs == 2 and scenario.settings.optimizer == "sgd"
    assert scenario.build().run(epochs=2) > 0


def test_given_weights_are_used(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(GOOD.replace("layers = [2, 1]", "layers = [2, 1]\nweights = [[[0.5], [-3]]]\n"
                                 "biases = [[7]]\ndtype = \"float32\""), encoding="utf-8")
    net = load_scenario(path).build().network
    assert net.weights[0].tolist() == [[0.5], [-3.0]] and net.biases[0].tolist() == [7.0]
    assert net.dtype == np.float32


def test_missing_unreadable_and_non_utf8_files(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError) as error:
        load_scenario(missing)
    assert "file not found" in one_line(error, missing)
    with pytest.raises(ScenarioError) as error:
        load_scenario(tmp_path)
    assert "folder" in one_line(error, tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('title = "café"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as error:
        load_scenario(latin)
    assert "not UTF-8" in one_line(error, latin)


def test_unknown_name_lists_the_shipped_names():
    with pytest.raises(ScenarioError) as error:
        load_scenario("nosuch")
    message = str(error.value)
    assert "\n" not in message and "'nosuch'" in message
    assert all(name in message for name in PRESETS)


def test_shipped_errors_name_presets_path(tmp_path):
    scenario = load_scenario("plane")
    assert scenario.where == "presets/plane.toml"
    broken = dataclasses.replace(scenario, network=scenario.network.replace(layers=[3, 1]))
    with pytest.raises(ScenarioError, match=r"^presets/plane.toml: \[network\] layers: the data has 2"):
        broken.build()


def test_every_shipped_file_names_itself_as_its_file_is_named():
    for scenario in list_presets():
        assert scenario.name == scenario.path.stem
        assert tomllib.loads(scenario.path.read_text())["name"] == scenario.name


def test_name_key_is_optional_and_must_be_one_word(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    assert load_scenario(path).name == "mine"
    path.write_text('name = "my own"\n' + GOOD)
    with pytest.raises(ScenarioError, match="name: must be one word"):
        load_scenario(path)
