"""Network edits: what changes, what is kept, and that a bad edit changes nothing."""

import numpy as np
import pytest

from gradstep.errors import EditError
from gradstep.model import MAX_PARAMETERS, Network


def state(net):
    return (list(net.sizes), [w.copy() for w in net.weights], [b.copy() for b in net.biases],
            list(net.activations), net.output, net.constraint)


def same(a, b):
    assert a[0] == b[0] and a[3:] == b[3:]
    for x, y in zip(a[1] + a[2], b[1] + b[2]):
        np.testing.assert_array_equal(x, y)


def test_orientation_and_forward():
    net = Network([2, 3], output="linear", weights=[[[1, 2, 3], [4, 5, 6]]], biases=[[1, 0, 0]])
    assert net.weights[0].shape == (2, 3)
    np.testing.assert_array_equal(net.forward(np.array([[1.0, 10.0]])), [[42, 52, 63]])


def test_biases_can_be_switched_off():
    net = Network([2, 1], output="linear", bias=False, weights=[[[1.0], [1.0]]])
    net.biases[0][:] = 5.0  # ignored when biases are off
    assert net.forward(np.array([[1.0, 2.0]]))[0, 0] == 3.0
    with pytest.raises(EditError):
        net.set_bias(0, 0, 1.0)


def test_same_seed_same_weights_and_every_init_differs_from_zeros():
    for init in ("uniform", "normal", "xavier", "he"):
        a, b = Network([3, 4, 1], init=init, seed=7), Network([3, 4, 1], init=init, seed=7)
        np.testing.assert_array_equal(a.weights[0], b.weights[0])
        assert np.abs(a.weights[0]).sum() > 0
    assert not Network([3, 4, 1], init="zeros").weights[0].any()
    assert np.abs(Network([300, 1], init="uniform").weights[0]).max() <= 0.5


def test_resize_keeps_existing_weights():
    net = Network([2, 3, 1], seed=0)
    w0, w1 = net.weights[0].copy(), net.weights[1].copy()
    net.resize(1, 5)
    assert net.sizes == [2, 5, 1]
    np.testing.assert_array_equal(net.weights[0][:, :3], w0)
    np.testing.assert_array_equal(net.weights[1][:3], w1)
    net.resize(1, 2)
    np.testing.assert_array_equal(net.weights[0], w0[:, :2])
    assert net.biases[0].shape == (2,)


def test_insert_and_remove_hidden_layers():
    net = Network([2, 3, 1], "relu")
    net.insert_layer(2, 4)
    assert net.sizes == [2, 3, 4, 1] and net.activations == ["relu", "relu"]
    assert [w.shape for w in net.weights] == [(2, 3), (3, 4), (4, 1)]
    net.remove_layer(1)
    assert net.sizes == [2, 4, 1] and [w.shape for w in net.weights] == [(2, 4), (4, 1)]
    net.remove_layer(1)
    assert net.sizes == [2, 1]
    with pytest.raises(EditError):
        net.remove_layer(1)


def test_set_activation_and_frozen():
    net = Network([2, 3, 1])
    net.set_activation(1, "relu")
    net.set_activation(2, "sigmoid")
    assert net.activations == ["relu"] and net.output == "sigmoid"
    net.set_frozen(0, 1, 2, True)
    assert net.is_frozen(0, 1, 2)
    net.set_frozen(0, 1, 2, False)
    assert net.frozen[0] is None


@pytest.mark.parametrize("edit", [
    lambda n: n.set_weight(0, 5, 0, 1.0),
    lambda n: n.set_weight(3, 0, 0, 1.0),
    lambda n: n.set_weight(0, -1, 0, 1.0),
    lambda n: n.set_weight(0, 0, 0, float("nan")),
    lambda n: n.set_weight(0, 0, 0, float("inf")),
    lambda n: n.set_weight(0, 0, 0, 1e300),
    lambda n: n.set_weight(0, 0, 0, "abc"),
    lambda n: n.set_weight(0, 0, 0, True),
    lambda n: n.set_bias(0, 9, 1.0),
    lambda n: n.resize(1, 0),
    lambda n: n.resize(1, -1),
    lambda n: n.resize(0, 3),
    lambda n: n.resize(2, 3),
    lambda n: n.resize(1, 10**9),
    lambda n: n.resize(1, 2.5),
    lambda n: n.insert_layer(0, 3),
    lambda n: n.insert_layer(1, 0),
    lambda n: n.insert_layer(1, 10**6),
    lambda n: n.remove_layer(0),
    lambda n: n.remove_layer(2),
    lambda n: n.set_activation(0, "tanh"),
    lambda n: n.set_activation(1, "softmax"),
    lambda n: n.set_activation(2, "relu"),
    lambda n: n.set_constraint("sum-to-two"),
    lambda n: n.set_frozen(0, 0, 7, True),
])
def test_bad_edits_raise_one_line_and_change_nothing(edit):
    net = Network([2, 3, 1], seed=0)
    before = state(net)
    with pytest.raises(EditError) as info:
        edit(net)
    assert "\n" not in str(info.value) and str(info.value)
    same(state(net), before)


def test_parameter_limit_says_how_much_memory():
    net = Network([2, 3, 1])
    with pytest.raises(EditError, match=r"about [0-9.]+ [kMGT]B\); the limit is 2,000,000"):
        net.resize(1, 10**9)
    assert MAX_PARAMETERS == 2_000_000


def test_bad_construction():
    for kwargs in ({"sizes": [3]}, {"sizes": [3, 0]}, {"sizes": [3, 2], "output": "relu"},
                   {"sizes": [3, 2, 1], "activations": ["tanh", "tanh"]},
                   {"sizes": [2, 1], "weights": [[[1.0, 2.0]]]},
                   {"sizes": [2, 1], "weights": [[[1.0], [float("nan")]]]},
                   {"sizes": [2, 1], "init": "ones"}, {"sizes": [2, 1], "dtype": "int8"}):
        with pytest.raises(EditError):
            Network(**kwargs)


def test_float32_network_stays_float32():
    net = Network([3, 4, 1], dtype="float32")
    out = net.forward(np.ones((2, 3), np.float32))
    assert out.dtype == np.float32 and net.weights[0].dtype == np.float32


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("columns", [1, 3, 50])
def test_layer_outputs_in_columns_and_chunks_equal_the_whole_pass(monkeypatch, batch_norm, columns):
    """What the neuron pictures and the probe read: every layer's first `columns` neurons, rows
    taken in chunks (7 here, so the last chunk is short), each row as the whole pass has it."""
    import gradstep.model.network as network_module

    net = Network([2, 5, 4, 3], "tanh", "softmax", seed=3, batch_norm=batch_norm)
    if batch_norm:  # running statistics away from 0 and 1, so normalising shows
        net.running[:] = np.random.default_rng(1).uniform(0.5, 2.0, net.running.size)
    x = np.random.default_rng(2).normal(size=(30, 2))
    whole = net.forward(x, every=True)
    monkeypatch.setattr(network_module, "chunk_rows", lambda widest, itemsize: 7)
    parts = net.layer_outputs(x, columns=columns)
    assert len(parts) == len(whole) and parts[0] is x
    for part, full in zip(parts[1:], whole[1:]):
        np.testing.assert_allclose(part, full[:, :columns], rtol=1e-13, atol=1e-15)
