"""Constraints hold after any sequence of steps and edits."""

import numpy as np
import pytest
from hypothesis import event, example, given, settings
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
    assert holds(enforce(w, kind), kind)


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


def holds(w, kind, tol=1e-6):
    """The constraint, checked here in plain numpy (independently of `satisfied`)."""
    if kind == "nonnegative":
        return w.min() >= -tol
    if kind == "sum-to-one":
        return all(abs(sum(w[:, j]) - 1.0) <= tol * w.shape[0] for j in range(w.shape[1]))
    if kind == "simplex":
        return w.min() >= -tol and holds(w, "sum-to-one", tol)
    if kind == "layer-simplex":
        return w.min() >= -tol and abs(w.sum() - 1.0) <= tol * w.size
    return True


def network_state(net):
    return (list(net.sizes), net.params.tobytes(),
            [None if f is None else f.tobytes() for f in net.frozen])


# edits a constraint may refuse: a freeze that leaves a group no room, a smaller layer whose
# remaining weights in some group are all frozen, or a new value for a frozen weight that the
# constraint cannot take; every other edit here must be made
MAY_BE_REFUSED = {"freeze", "resize", "set frozen"}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CONSTRAINTS[1:]), edits)
# frozen weights under `nonnegative`: new weights drawn beside a frozen one, and a negative
# value typed beside a frozen one (always run, whatever hypothesis draws)
@example("nonnegative", [("freeze", 0, 0, 0, 0.0), ("resize", 0, 4, 0, 0.0)])
@example("nonnegative", [("freeze", 0, 0, 0, 0.0), ("set", 0, 1, 0, -2.0)])
def test_constraints_hold_after_steps_and_edits(kind, actions):
    net = Network([3, 4, 2, 1], "tanh", init="normal", constraint=kind, seed=1)
    t = trainer((3, 4, 2, 1), regression(d=3, k=1), network=net, learning_rate=0.5)
    refused = made = 0
    for action, a, b, c, value in actions:
        before = network_state(net)
        what = action
        frozen_values = [w[f].copy() if f is not None else None
                         for w, f in zip(net.weights, net.frozen)]
        try:
            if action == "step":
                t.run(steps=a + 1)
                for w, f, old in zip(net.weights, net.frozen, frozen_values):
                    if f is not None:  # a step never moves a frozen weight
                        np.testing.assert_array_equal(w[f], old)
            elif action == "set":
                layer = a % net.depth
                i, j = b % net.sizes[layer], c % net.sizes[layer + 1]
                what = "set frozen" if net.is_frozen(layer, i, j) else "set"
                t.apply(SetWeight(layer, i, j, value))
            elif action == "freeze":
                layer = a % net.depth
                t.apply(Freeze(layer, b % net.sizes[layer], c % net.sizes[layer + 1], True))
            elif action == "resize" and net.depth > 1:
                t.apply(Resize(1 + a % (net.depth - 1), b + 1))
            elif action == "insert":
                t.apply(InsertLayer(1 + a % net.depth, b + 1))
            elif action == "remove" and net.depth > 1:
                t.apply(RemoveLayer(1 + a % (net.depth - 1)))
            made += action != "step"
        except EditError as e:
            refused += 1
            assert what in MAY_BE_REFUSED, (what, str(e))
            assert network_state(net) == before, action  # a refused edit changes nothing
        for w in net.weights:
            assert holds(w, kind), (action, kind, w)
            assert satisfied(w, kind), (action, kind, w)
    event(f"refused {refused} of {refused + made} edits")
    assert refused <= max(1, (refused + made) // 2), "most edits were refused"


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


# ---- the oracle: satisfied() says no to what breaks a constraint ---------------------------

GOOD = {
    "none": np.array([[-5.0, 2.0], [7.0, 0.0]]),
    "nonnegative": np.array([[0.0, 2.0], [7.0, 0.1]]),
    "sum-to-one": np.array([[-0.5, 0.25], [1.5, 0.75]]),
    "simplex": np.array([[0.0, 0.25], [1.0, 0.75]]),
    "layer-simplex": np.array([[0.1, 0.2], [0.3, 0.4]]),
}
BAD = {
    "nonnegative": [np.array([[0.0, 2.0], [-0.01, 0.1]])],
    "sum-to-one": [np.array([[0.5, 0.25], [0.6, 0.75]]), np.array([[0.5, 0.25], [0.5, 0.5]]),
                   np.zeros((3, 1))],
    "simplex": [np.array([[-0.5, 0.25], [1.5, 0.75]]),  # sums to 1, but negative
                np.array([[0.5, 0.25], [0.6, 0.75]]),  # nonnegative, sums past 1
                np.array([[0.2], [0.2]])],
    "layer-simplex": [np.array([[0.25, 0.25], [0.25, 0.26]]),
                      np.array([[-0.1, 0.3], [0.4, 0.4]]),
                      GOOD["simplex"]],  # each column sums to 1: the whole sums to 2
}


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_satisfied_says_yes_to_a_matrix_that_meets_the_constraint(kind):
    assert satisfied(GOOD[kind], kind)
    assert holds(GOOD[kind], kind)


@pytest.mark.parametrize("kind, w", [(k, w) for k, ws in BAD.items() for w in ws])
def test_satisfied_says_no_to_a_matrix_that_breaks_the_constraint(kind, w):
    assert not satisfied(w, kind)
    assert not holds(w, kind)


def test_satisfied_has_a_tolerance_and_no_more():
    w = np.array([[0.5], [0.5 + 1e-8]])
    assert satisfied(w, "simplex") and satisfied(w, "sum-to-one")
    w = np.array([[0.5], [0.5 + 1e-3]])
    assert not satisfied(w, "simplex") and not satisfied(w, "sum-to-one")
    assert satisfied(np.array([[-1e-9]]), "nonnegative")
    assert not satisfied(np.array([[-1e-3]]), "nonnegative")


@given(matrices, st.sampled_from(CONSTRAINTS))
def test_satisfied_agrees_with_a_plain_numpy_check(w, kind):
    assert bool(satisfied(w, kind)) == bool(holds(w, kind))
