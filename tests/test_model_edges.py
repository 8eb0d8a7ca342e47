"""Edges of the model that mutation testing (tools/mutation) found untested: each test here
kills mutants that survived the rest of the suite (an off-by-one slice, a check skipped, a
value dropped, a message that no longer says what is wrong)."""

import numpy as np
import pytest

from gradstep.errors import EditError
from gradstep.model import MAX_PARAMETERS, Network
from gradstep.model import readouts
from gradstep.model.constraints import Infeasible, enforce, satisfied
from gradstep.model.losses import loss_and_grad, loss_value
from test_numbers import forward


def hand_output(net, x):
    return forward(x, [np.array(w) for w in net.weights], [np.array(b) for b in net.biases],
                   net.activations, net.output, net.bias)[-1][1]


X = np.random.default_rng(3).normal(size=(6, 2))


# ---- loading weights ------------------------------------------------------------------------

@pytest.mark.parametrize("weights, biases, words", [
    ([[[1.0], [2.0]], [[1.0]]], None, "weights must be a list of 1 matrix [i][j]"),
    ("ab", None, "weights must be a list of 1 matrix [i][j]"),
    ([[["a"], ["b"]]], None, "weights layer 0 must be 2 rows of 1 number (finite, within ±1e+09), got [['a'], ['b']]"),
    ([[[1.0, 2.0]]], None, "weights layer 0 must be 2 rows of 1 number (finite, within ±1e+09), got [[1.0, 2.0]]"),
    ([[[1.0], [np.nan]]], None, "weights layer 0 must be 2 rows of 1 number (finite, within ±1e+09), got [[1.0], [nan]]"),
    ([[[1.0], [2.0]]], [[0.0], [1.0]], "biases must be a list of 1 list, one per weight layer"),
    ([[[1.0], [2.0]]], [[0.0, 1.0]], "biases layer 0 must be 1 number (finite"),
    ([[[1.0], [2.0]]], [["x"]], "biases layer 0 must be 1 number (finite, within ±1e+09), got ['x']"),
])
def test_loaded_weights_of_the_wrong_kind_are_refused_in_words(weights, biases, words):
    with pytest.raises(EditError) as info:
        Network([2, 1], weights=weights, biases=biases)
    assert words in str(info.value)


def test_loaded_weights_take_the_networks_dtype():
    net = Network([2, 1], dtype="float32", weights=[[[1], [2]]])
    assert net.params.dtype == np.float32 and net.weights[0].tolist() == [[1.0], [2.0]]


def test_load_parameters_keeps_frozen_weights_at_their_loaded_value():
    net = Network([3, 1], constraint="sum-to-one", weights=[[[0.2], [0.3], [0.5]]])
    net.set_frozen(0, 0, 0)  # frozen=True is the default
    assert net.is_frozen(0, 0, 0)
    net.load_parameters([[[0.5], [0.2], [0.1]]])
    w = net.weights[0][:, 0]
    assert w[0] == 0.5  # held; the two free weights share what is left: 0.5 - 0.3 = 0.2
    np.testing.assert_allclose(w[1:], [0.3, 0.2])
    assert w.sum() == pytest.approx(1.0)


# ---- single edits ---------------------------------------------------------------------------

def test_set_bias_checks_the_neuron_and_the_value():
    net = Network([3, 1], seed=0)
    with pytest.raises(EditError, match="neuron j of layer 1 must be 0..0, got 2"):
        net.set_bias(0, 2, 1.0)  # j counts the 1 neuron of layer 1, not the 3 inputs
    with pytest.raises(EditError, match="a bias must be a number, got 'x'"):
        net.set_bias(0, 0, "x")
    with pytest.raises(EditError, match="this network has no biases"):
        Network([3, 1], bias=False).set_bias(0, 0, 1.0)
    net.set_bias(0, 0, 2.5)
    assert net.biases[0][0] == 2.5


def test_set_frozen_checks_both_indices():
    net = Network([3, 2], seed=0)
    with pytest.raises(EditError, match="input neuron i of layer 0 must be 0..2, got 3"):
        net.set_frozen(0, 3, 0)
    with pytest.raises(EditError, match="neuron j of layer 1 must be 0..1, got 2"):
        net.set_frozen(0, 0, 2)


def test_a_freeze_that_puts_held_weights_past_the_simplex_budget_is_refused():
    net = Network([3, 1], constraint="none", weights=[[[1.5], [0.1], [0.2]]])
    net.constraint = "simplex"  # as if loaded under it
    with pytest.raises(EditError, match="freezing that weight breaks the simplex constraint"):
        net.set_frozen(0, 0, 0, True)  # 1.5 held: more than the whole budget of 1
    assert not net.is_frozen(0, 0, 0)


def test_set_activation_rebinds_the_forward_pass():
    net = Network([2, 3, 4, 1], ["tanh", "tanh"], seed=1)
    net.set_activation(2, "relu")
    assert net.activations == ["tanh", "relu"] and net.activation_of(2) == "relu"
    assert net.activation_of(1) == "tanh" and net.activation_of(3) == "linear"
    np.testing.assert_allclose(net.forward(X), hand_output(net, X), rtol=1e-12)
    net.set_activation(3, "sigmoid")
    assert net.output == "sigmoid" and net.activation_of(3) == "sigmoid"
    np.testing.assert_allclose(net.forward(X), hand_output(net, X), rtol=1e-12)


@pytest.mark.parametrize("call, words", [
    (lambda n: n.set_activation(4, "relu"), "layer must be 0..3, got 4"),
    (lambda n: n.set_activation(0, "relu"), "the input layer has no activation"),
    (lambda n: n.set_activation(3, "relu"), "the output activation must be one of"),
    (lambda n: n.set_activation(1, "softmax"), "a hidden activation must be one of"),
    (lambda n: n.set_constraint("positive"), "constraint must be one of"),
    (lambda n: n.set_dtype("float16"), "dtype must be one of"),
    (lambda n: n.resize(1, 0), "a layer size must be at least 1, got 0"),
    (lambda n: n.insert_layer(4, 2), "position must be 0..3, got 4"),
    (lambda n: n.insert_layer(0, 2), "a hidden layer cannot go before the input layer"),
    (lambda n: n.insert_layer(1, 0), "a layer size must be at least 1, got 0"),
    (lambda n: n.insert_layer(1, 2, "softmax"), "a hidden activation must be one of"),
])
def test_refused_edits_say_what_is_wrong_and_change_nothing(call, words):
    net = Network([2, 3, 4, 1], seed=1)
    before = net.params.copy(), list(net.sizes), list(net.activations), net.output
    with pytest.raises(EditError) as info:
        call(net)
    assert words in str(info.value)
    after = net.params, net.sizes, net.activations, net.output
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]


def test_the_size_limit_counts_biases_and_says_how_much_memory():
    net = Network([20, 2, 1])  # [20, h, 1]: 21h weights and h + 1 biases
    h = 95_000  # 1,995,000 weights fit under 2M; with the biases, 2,090,001 do not
    with pytest.raises(EditError) as info:
        net.resize(1, h)
    count = 22 * h + 1
    assert f"{count:,} parameters (their values, gradients and optimizer state alone would take " \
        f"about {count * 8 * 4 / 1e6:,.1f} MB)" in str(info.value)
    assert f"the limit is {MAX_PARAMETERS:,}" in str(info.value)
    with pytest.raises(EditError, match="2,090,001 parameters"):
        Network([20, 1]).insert_layer(1, h)
    Network([20, 2, 1], bias=False).resize(1, h)  # without biases it fits
    with pytest.raises(EditError, match=r"about 33\.4 MB"):  # float32: 4 bytes, not 8
        Network([20, 2, 1], dtype="float32").resize(1, h)


# ---- structural edits ------------------------------------------------------------------------

def test_resize_keeps_biases_and_frozen_marks_of_the_neurons_it_keeps():
    net = Network([2, 3, 2], seed=0, biases=None)
    net.set_bias(0, 1, 0.7)
    net.set_frozen(0, 1, 2)
    net.set_frozen(1, 2, 1)
    net.resize(1, 5)
    assert net.biases[0].tolist()[:3] == [0.0, 0.7, 0.0] and net.biases[0].shape == (5,)
    assert net.is_frozen(0, 1, 2) and net.is_frozen(1, 2, 1)
    assert np.count_nonzero(net.frozen[0]) == 1 and np.count_nonzero(net.frozen[1]) == 1
    net.resize(1, 2)  # neuron 2 goes, and its frozen marks with it
    assert net.frozen == [None, None]


def test_inserted_layer_takes_the_activation_of_the_layer_before_it():
    net = Network([2, 3, 4, 1], ["relu", "sigmoid"], seed=0)
    net.insert_layer(3, 2)  # after the sigmoid layer
    assert net.activations == ["relu", "sigmoid", "sigmoid"]
    net = Network([2, 3, 4, 1], ["relu", "sigmoid"], seed=0)
    net.insert_layer(1, 2)  # first hidden layer: the first hidden layer's activation
    assert net.activations == ["relu", "relu", "sigmoid"]
    net = Network([2, 1], seed=0)
    net.insert_layer(1, 2)  # no hidden layer to copy: tanh
    assert net.activations == ["tanh"]
    net = Network([2, 3, 4, 1], ["relu", "sigmoid"], seed=0)
    net.insert_layer(2, 5, "leaky-relu")
    assert net.activations == ["relu", "leaky-relu", "sigmoid"]
    assert net.sizes == [2, 3, 5, 4, 1]
    np.testing.assert_allclose(net.forward(X), hand_output(net, X), rtol=1e-12)


def test_insert_keeps_frozen_marks_of_the_other_layers():
    net = Network([2, 3, 4, 1], seed=0)
    net.set_frozen(0, 1, 1)
    net.set_frozen(2, 3, 0)
    net.insert_layer(2, 5)
    assert net.is_frozen(0, 1, 1) and net.is_frozen(3, 3, 0)
    assert net.frozen[1] is None and net.frozen[2] is None


def test_remove_layer_joins_its_neighbours_and_keeps_the_rest():
    net = Network([2, 3, 4, 5, 1], ["relu", "tanh", "sigmoid"], seed=0)
    w0, w3 = net.weights[0].copy(), net.weights[3].copy()
    net.set_frozen(0, 1, 1)
    net.set_frozen(3, 2, 0)
    net.remove_layer(2)  # the tanh layer of 4
    assert net.sizes == [2, 3, 5, 1] and net.activations == ["relu", "sigmoid"]
    assert [w.shape for w in net.weights] == [(2, 3), (3, 5), (5, 1)]
    np.testing.assert_array_equal(net.weights[0], w0)
    np.testing.assert_array_equal(net.weights[2], w3)
    assert net.is_frozen(0, 1, 1) and net.is_frozen(2, 2, 0) and net.frozen[1] is None
    np.testing.assert_allclose(net.forward(X), hand_output(net, X), rtol=1e-12)


def test_reinitialize_with_a_seed_draws_what_a_new_network_would():
    net = Network([2, 3, 1], seed=0, init="normal")
    net.reinitialize(seed=5)
    fresh = Network([2, 3, 1], seed=5, init="normal")
    np.testing.assert_array_equal(net.params, fresh.params)
    net.reinitialize()  # no seed: the next draw of the same generator
    assert not np.array_equal(net.params, fresh.params)


def test_structural_edits_forget_the_last_activations():
    for edit in (lambda n: n.reinitialize(), lambda n: n.set_dtype("float32"),
                 lambda n: n.remove_layer(1), lambda n: n.set_activation(1, "relu"),
                 lambda n: n.restore_snapshot(n.snapshot())):
        net = Network([2, 3, 1], seed=0)
        net.forward(X, keep=True)
        edit(net)
        r = readouts.read(net)
        assert all(layer.mean_abs_activation is None for layer in r.layers)


def test_snapshot_restores_a_float32_network_as_float32():
    net = Network([2, 3, 1], seed=0, dtype="float32")
    snap = net.snapshot()
    net.set_dtype("float64")
    net.restore_snapshot(snap)
    assert net.dtype == np.float32 and net.params.dtype == np.float32
    np.testing.assert_array_equal(net.params, snap["params"])


# ---- readouts ------------------------------------------------------------------------------

def test_readouts_of_a_network_without_biases_ignore_the_unused_bias_values():
    net = Network([2, 3, 1], bias=False, seed=0, weights=[np.ones((2, 3)), np.ones((3, 1))],
                  biases=[np.full(3, 4.0), np.full(1, 5.0)])
    r = readouts.read(net)
    assert [layer.bias_sum for layer in r.layers] == [0.0, 0.0] and r.bias_sum == 0.0
    net = Network([2, 3, 1], seed=0, biases=None, weights=[np.ones((2, 3)), np.ones((3, 1))])
    net.set_bias(0, 1, 4.0)
    net.set_bias(1, 0, -1.5)
    r = readouts.read(net)
    assert [layer.bias_sum for layer in r.layers] == [4.0, -1.5] and r.bias_sum == 2.5


# ---- losses and constraints at their edges ---------------------------------------------------

def test_cross_entropy_of_huge_logits_is_exact():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0], [-800.0, -801.0, -805.0]])
    y = np.array([1, 2, 0])
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = []
    for row, label in zip(z, y):  # -log softmax, shifted by the row's own max (exact in math)
        m = row.max()
        rows.append(-(row[label] - m - np.log(np.sum(np.exp(row - m)))))
    expected = np.mean(rows)
    assert np.isfinite(expected)
    assert loss_value("cross-entropy", z, p, y) == pytest.approx(expected, rel=1e-12)
    assert loss_and_grad("cross-entropy", "softmax", z, p, y)[0] == pytest.approx(expected,
                                                                                rel=1e-12)


def test_held_weights_that_use_the_whole_simplex_budget_leave_the_rest_at_zero():
    w = np.array([[0.5], [0.5], [0.3]])
    hold = np.array([[True], [True], [False]])
    np.testing.assert_array_equal(enforce(w, "simplex", hold), [[0.5], [0.5], [0.0]])
    with pytest.raises(Infeasible):
        enforce(np.array([[0.6], [0.5], [0.3]]), "simplex", hold)


def test_satisfied_scales_its_tolerance_with_the_group_size():
    assert satisfied(np.array([[1.0 + 3e-6], [0.0], [0.0], [0.0]]), "sum-to-one")  # 4 rows
    assert not satisfied(np.array([[1.0 + 1.5e-6]]), "sum-to-one")  # one row: 1e-6
    assert not satisfied(np.array([[1.0 + 1.5e-6, 1.0]]), "simplex")  # 2 columns, 1 row
    assert satisfied(np.full((2, 2), 0.25 + 0.75e-6), "layer-simplex")  # 4 weights: 4e-6
    assert not satisfied(np.array([[1.0 + 1.5e-6]]), "layer-simplex")


def test_describe_cuts_long_values_and_names_an_int_too_long_to_print():
    from gradstep.model.spec import describe

    assert describe([1, 2]) == "[1, 2]"
    assert describe("x" * 100, limit=10) == "'xxxxxx..."
    assert len(describe(list(range(100)))) == 40
    assert describe(10 ** 5000) == "<int>"  # repr refuses past 4,300 digits
