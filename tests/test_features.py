"""Input features of the plane (TensorFlow Playground's toggles) and the features lesson."""

import numpy as np
import pytest

from gradstep.errors import ScenarioError
from gradstep.scenarios import load_scenario
from gradstep.scenarios.data import load_data
from gradstep.scenarios.features import FEATURES, expand
from gradstep.session import load_session, save_session


def test_every_feature_by_hand():
    p = np.array([[2.0, -3.0], [0.5, 0.25]])
    x = expand(p, tuple(FEATURES))
    expected = [[2, -3, 4, 9, -6, np.sin(2), np.sin(-3)],
                [0.5, 0.25, 0.25, 0.0625, 0.125, np.sin(0.5), np.sin(0.25)]]
    np.testing.assert_allclose(x, expected)


def test_features_are_computed_from_the_points_which_stay_for_the_heatmap():
    train, test = load_data({"kind": "xor", "seed": 1, "features": ["x1*x2", "sin(x1)"]},
                            None, "t")
    plain, _ = load_data({"kind": "xor", "seed": 1}, None, "t")
    np.testing.assert_array_equal(train.points, plain.x)
    np.testing.assert_allclose(train.x, np.column_stack([plain.x[:, 0] * plain.x[:, 1],
                                                         np.sin(plain.x[:, 0])]))
    assert train.feature_names == ("x1*x2", "sin(x1)") and test.points.shape[1] == 2


@pytest.mark.parametrize("features, words", [
    (["x3"], "must be a list of distinct features"), ([], "distinct features"),
    (["x1", "x1"], "distinct"), ("x1", "distinct")])
def test_bad_features_fail_in_one_line(features, words):
    with pytest.raises(ScenarioError, match=words):
        load_data({"kind": "circle", "features": features}, None, "f.toml")


def test_features_are_only_for_data_on_a_plane():
    with pytest.raises(ScenarioError, match="unknown key 'features'"):
        load_data({"kind": "linear", "coefficients": [1.0], "features": ["x1"]}, None, "f")


def test_a_session_keeps_the_points_and_the_features(tmp_path):
    t = load_scenario("features").build()
    t.run(steps=13)
    save_session(tmp_path / "f.npz", t)
    again, _ = load_session(tmp_path / "f.npz")
    np.testing.assert_array_equal(again.raw_train.points, t.raw_train.points)
    assert again.raw_train.features == ("x1^2", "x2^2")
    grid = np.array([[0.0, 0.0], [4.0, 4.0]])
    np.testing.assert_array_equal(again.predict_plane(grid), t.predict_plane(grid))


@pytest.mark.parametrize("seed", range(5))
def test_one_neuron_on_x1_squared_and_x2_squared_draws_the_circle(seed):
    scenario = load_scenario("features")
    t = scenario.build(seed=seed)
    t.run(epochs=scenario.settings.epochs)
    assert t.network.sizes == [2, 1] and t.evaluate().accuracy >= 0.95
    w, b = t.network.weights[0][:, 0], float(t.network.biases[0][0])
    assert abs(w[0] - w[1]) < 0.03 and -0.45 < w.mean() < -0.33 and 3.2 < b < 3.6
    radius = np.sqrt(-b / w.mean())
    assert 2.5 < radius < 3.5                       # between the inner class and the ring
    inside = t.predict_plane(np.array([[0.0, 0.0]]))[0, 0]
    outside = t.predict_plane(np.array([[4.0, 0.0]]))[0, 0]
    assert inside > 0 > outside
