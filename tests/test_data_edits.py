"""Changing the data in place: the data form's ChangeData and a point added by hand."""

import numpy as np
import pytest

from gradstep.edits import AddPoint, ChangeData
from gradstep.errors import GradstepError
from gradstep.scenarios import load_scenario
from gradstep.session import load_session, save_session
from gradstep.workspace import Workspace


def circle():
    ws = Workspace.from_scenario(load_scenario("circle"))
    ws.epoch()
    return ws


def test_new_features_keep_the_weights_of_the_inputs_that_stay():
    ws = circle()
    t = ws.trainer
    old = t.network.weights[0].copy()
    ws.apply(ChangeData({**t.data_spec, "features": ["x2", "x1^2", "x1"]}))
    w = t.network.weights[0]
    assert t.network.sizes[0] == 3 and t.raw_train.feature_names == ("x2", "x1^2", "x1")
    np.testing.assert_array_equal(w[0], old[1])  # x2 kept, now first
    np.testing.assert_array_equal(w[2], old[0])  # x1 kept, now last
    assert t.x_train.shape[1] == 3 and t.step()
    assert ws.undo().startswith("data: circle")
    np.testing.assert_array_equal(t.network.weights[0], old)
    assert t.raw_train.feature_names == ("x1", "x2") and t.x_train.shape[1] == 2


def test_more_classes_grow_the_output_layer_and_regression_needs_a_fitting_output():
    ws = Workspace.from_scenario(load_scenario("softmax-outputs"))
    t = ws.trainer
    ws.apply(ChangeData({**t.data_spec, "classes": 5}))
    assert t.network.sizes[-1] == 5 and t.raw_train.n_classes == 5 and t.step()
    with pytest.raises(GradstepError, match="cannot take that data"):
        ws.apply(ChangeData({"kind": "plane", "seed": 1}))  # softmax for regression: no
    assert t.raw_train.n_classes == 5


def test_a_bad_data_table_changes_nothing():
    ws = circle()
    t = ws.trainer
    before = (t.raw_train, t.network.params.copy(), len(ws.undo_stack))
    for spec in ({"kind": "circle", "noise": -1}, {"kind": "circle", "samples": 0},
                 {"kind": "circle", "features": ["x9"]}, {"kind": "nope"}):
        with pytest.raises(GradstepError):
            ws.apply(ChangeData(spec))
    assert t.raw_train is before[0] and len(ws.undo_stack) == before[2]
    np.testing.assert_array_equal(t.network.params, before[1])


def test_a_point_added_by_hand_trains_and_undoes():
    ws = circle()
    t = ws.trainer
    n = len(t.raw_train)
    ws.apply(AddPoint((0.25, -0.5), 1))
    assert len(t.raw_train) == n + 1 and t.raw_train.y[-1] == 1
    np.testing.assert_array_equal(t.raw_train.points[-1], [0.25, -0.5])
    assert len(t.x_train) == n + 1
    with pytest.raises(GradstepError, match="class must be 0 to 1"):
        ws.apply(AddPoint((0, 0), 7))
    ws.undo()
    assert len(t.raw_train) == n


def test_points_on_a_plane_only_and_regression_targets():
    grades = Workspace.from_scenario(load_scenario("grades"))
    with pytest.raises(GradstepError, match="on a plane only"):
        grades.apply(AddPoint((0, 0), 1.0))
    plane = Workspace.from_scenario(load_scenario("two-three-one"))
    plane.apply(AddPoint((1.0, 2.0), -1.0))
    assert plane.trainer.raw_train.y[-1, 0] == -1.0


def test_changed_data_and_added_points_are_saved(tmp_path):
    ws = circle()
    t = ws.trainer
    ws.apply(ChangeData({**t.data_spec, "features": ["x1^2", "x2^2"], "noise": 0.2}))
    ws.apply(AddPoint((1.0, 1.0), 1))
    save_session(tmp_path / "d.npz", t)
    again, _ = load_session(tmp_path / "d.npz")
    assert again.data_spec == t.data_spec and again.raw_train.features == ("x1^2", "x2^2")
    np.testing.assert_array_equal(again.raw_train.points, t.raw_train.points)
    t.step(), again.step()
    np.testing.assert_array_equal(again.network.params, t.network.params)
