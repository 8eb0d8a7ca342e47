"""Constraints hold after any sequence of steps and edits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradstep.errors import EditError
from gradstep.model import Network
from gradstep.model.constraints import CONSTRAINTS, enforce, project_simplex_columns, satisfied
from gradstep.edits import Freeze, InsertLayer, RemoveLayer, Resize, SetWeight
from helpers import regression, trainer

matrices = st.integers(1, 6).flatmap(lambda n: st.integers(1, 4).flatmap(
    lambda m: st.lists(st.floats(-50, 50), min_size=n * m, max_size=n * m).map(
        lambda v: np.array(v).reshape(n, m))))


@given(matrices, st.sampled_from(CONSTRAINTS))
def test_enforce_satisfies_every_constraint(w, kind):
    assert satisfied(enforce(w, kind), kind)


@given(matrices)
def test_simplex_projection_is_the_nearest_point(w):
    p = project_simplex_columns(w, 1.0)
    rng = np.random.default_rng(0)
    for j in range(w.shape[1]):  # no random point of the simplex is nearer
        others = rng.dirichlet(np.ones(w.shape[0]), 50)
        best = np.sum((p[:, j] - w[:, j]) ** 2)
        assert np.all(np.sum((others - w[:, j]) ** 2, axis=1) >= best - 1e-9)


def test_simplex_of_a_probability_vector_is_itself():
    w = np.array([[0.2], [0.3], [0.5]])
    np.testing.assert_allclose(project_simplex_columns(w, 1.0), w)


edits = st.lists(st.tuples(
    st.sampled_from(["step", "set", "freeze", "resize", "insert", "remove"]),
    st.integers(0, 5), st.integers(0, 5), st.integers(0, 5),
    st.floats(-3, 3)), max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CONSTRAINTS[1:]), edits)
def test_constraints_hold_after_steps_and_edits(kind, actions):
    net = Network([3, 4, 2, 1], "tanh", init="normal", constraint=kind, seed=1)
    t = trainer((3, 4, 2, 1), regression(d=3, k=1), network=net, learning_rate=0.5)
    for action, a, b, c, value in actions:
        try:
            if action == "step":
                t.run(steps=a + 1)
            elif action == "set":
                layer = a % net.depth
                t.apply(SetWeight(layer, b % net.sizes[layer], c % net.sizes[layer + 1], value))
            elif action == "freeze":
                layer = a % net.depth
                t.apply(Freeze(layer, b % net.sizes[layer], c % net.sizes[layer + 1], True))
            elif action == "resize" and net.depth > 1:
                t.apply(Resize(1 + a % (net.depth - 1), b + 1))
            elif action == "insert":
                t.apply(InsertLayer(1 + a % net.depth, b + 1))
            elif action == "remove" and net.depth > 1:
                t.apply(RemoveLayer(1 + a % (net.depth - 1)))
        except EditError:
            pass
        for w in net.weights:
            assert satisfied(w, kind), (action, w)


def test_frozen_weights_hold_their_value_under_a_constraint():
    net = Network([3, 1], init="normal", constraint="simplex", seed=0)
    t = trainer((3, 1), network=net, learning_rate=0.1)
    t.apply(SetWeight(0, 0, 0, 0.6))
    t.apply(Freeze(0, 0, 0, True))
    t.run(steps=50)
    assert net.weights[0][0, 0] == 0.6
    assert satisfied(net.weights[0], "simplex")


def test_set_weight_keeps_the_typed_value_and_moves_the_others():
    net = Network([3, 1], init="normal", constraint="sum-to-one", seed=0)
    net.set_weight(0, 1, 0, 0.7)
    assert net.weights[0][1, 0] == pytest.approx(0.7)
    assert net.weights[0].sum() == pytest.approx(1.0)


def test_infeasible_constraint_is_refused_and_changes_nothing():
    net = Network([2, 1], constraint="none", weights=[[[0.8], [0.8]]])
    net.set_frozen(0, 0, 0, True)
    net.set_frozen(0, 1, 0, True)
    with pytest.raises(EditError):
        net.set_constraint("simplex")
    assert net.constraint == "none"
    np.testing.assert_array_equal(net.weights[0], [[0.8], [0.8]])


def test_freeze_that_leaves_no_room_is_refused():
    net = Network([2, 1], constraint="simplex", weights=[[[0.5], [0.5]]])
    net.set_frozen(0, 0, 0, True)
    net.set_constraint("none")
    net.set_weight(0, 1, 0, 0.9)
    net.set_constraint("nonnegative")
    net.constraint = "simplex"  # as if the weights had been loaded under it
    with pytest.raises(EditError):
        net.set_frozen(0, 1, 0, True)
    assert not net.is_frozen(0, 1, 0)
