"""Batch normalization (torch.nn.BatchNorm1d(n, eps=1e-5, momentum=0.1) semantics).

Its gradients against finite differences; three optimizer steps against an implementation
written here from the formulas, differentiated by complex steps (no autograd, no shared code);
training and evaluation statistics; a dropped step; the batch of one; γ and β outside L1, L2,
constraints and freezing; the readouts; structural edits; the settings toggle and its undo; the
spec, the weights JSON, scenario files and sessions; and the batch-norm lesson over seeds 0-4.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from gradstep.edits import ChangeSettings, InsertLayer, LoadWeights, RemoveLayer, Resize
from gradstep.errors import EditError, ScenarioError, SettingError
from gradstep.export import load_weights, weights_json
from gradstep.lesson import Lesson
from gradstep.model import Network
from gradstep.model.activations import HIDDEN
from gradstep.model.spec import NetworkSpec
from gradstep.pair import Lockstep
from gradstep.scenarios import load_scenario
from gradstep.session import load_session, save_session
from gradstep.tui.screens.settings import SettingsScreen
from gradstep.workspace import Workspace
from helpers import classes, regression, trainer

EPS = 1e-5
MOMENTUM = 0.1


def bn_trainer(sizes=(3, 5, 4, 1), data=None, activations="tanh", output="linear",
               batch_norm=True, bias=True, dtype="float64", seed=0, init="normal", **settings):
    data = data if data is not None else regression(n=20, d=sizes[0], k=sizes[-1])
    net = Network(list(sizes), activations, output, bias=bias, init=init, seed=seed,
                  dtype=dtype, batch_norm=batch_norm)
    return trainer(sizes, data, network=net, seed=seed, **settings)


def everything(net):
    """Every parameter and every running statistic, as one vector."""
    return np.concatenate([net.params, net.running])


# --- gradients --------------------------------------------------------------------------------

STEP = 1e-6


def gradient_cases():
    for hidden, (output, loss) in itertools.product(
            HIDDEN, [("linear", "mse"), ("softmax", "cross-entropy"), ("sigmoid", "bce"),
                     ("tanh", "mae")]):
        yield hidden, output, loss, [True, True], True, 0.0
    yield "tanh", "linear", "mse", [True, False], True, 0.0
    yield "relu", "linear", "mse", [False, True], False, 0.0
    yield "sigmoid", "softmax", "cross-entropy", [True, True], False, 0.01


def checked_gradients(hidden, output, loss, flags, bias, l2):
    """(analytic, numeric) gradients of the objective for W, b, γ and β of every layer."""
    if output in ("softmax",):
        data = classes(n=12, d=3, k=3, seed=1)
    elif loss == "bce":
        data = classes(n=12, d=3, k=2, seed=1)
    else:
        data = regression(n=12, d=3, k=2, seed=1)
    k = 3 if output == "softmax" else (1 if loss == "bce" else 2)
    t = bn_trainer((3, 5, 4, k), data, hidden, output, flags, bias=bias, seed=2, loss=loss,
                   l1=l2, l2=l2, batch_size=12)
    net = t.network
    if flags[0]:  # γ and β off 1 and 0
        net.gammas[0][...] = [0.7, 1.3, -0.4, 1.1, 0.9]
        net.betas[0][...] = [0.2, -0.5, 0.1, 0.0, 0.3]
    x, y = t.x_train, t.y_train
    t.gradients(x, y)
    analytic = net.grad.copy()
    numeric = np.zeros_like(analytic)
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + STEP
        up = t.gradients(x, y)[0] + t.penalty()
        net.params[i] = old - STEP
        down = t.gradients(x, y)[0] + t.penalty()
        net.params[i] = old
        numeric[i] = (up - down) / (2 * STEP)
    return net, analytic, numeric


@pytest.mark.parametrize("hidden,output,loss,flags,bias,l2", list(gradient_cases()))
def test_gradients_of_w_b_gamma_beta_match_finite_differences(hidden, output, loss, flags,
                                                               bias, l2):
    net, analytic, numeric = checked_gradients(hidden, output, loss, flags, bias, l2)
    assert sum(flags) == sum(g is not None for g in net.grad_gammas)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-7)
    for l, on in enumerate(flags):  # γ and β do get gradients
        if on:
            assert np.any(net.grad_gammas[l] != 0) and np.any(net.grad_betas[l] != 0)


def test_gradients_pass_through_a_batch_of_two():
    t = bn_trainer(batch_size=2)
    x, y = t.x_train[:2], t.y_train[:2]
    t.gradients(x, y)
    assert np.all(np.isfinite(t.network.grad))


# --- three optimizer steps against an implementation written from the formulas ----------------


def reference_loss(p, x, y, loss):
    """The batch loss from parameters p (a dict of lists of arrays, possibly complex), written
    from torch's definitions: Linear, BatchNorm1d in training mode (biased batch variance),
    tanh, then the loss."""
    a = x
    depth = len(p["W"])
    for l in range(depth):
        z = a @ p["W"][l] + p["b"][l]
        if l < depth - 1:
            n = z.shape[0]
            mu = z.sum(axis=0) / n
            var = ((z - mu) ** 2).sum(axis=0) / n
            z = p["gamma"][l] * (z - mu) / np.sqrt(var + EPS) + p["beta"][l]
            a = np.tanh(z)
        else:
            a = z
    if loss == "mse":
        return ((a - y) ** 2).sum() / a.size
    logp = a - np.log(np.exp(a).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].sum() / len(y)


def reference_gradient(p, x, y, loss):
    """Every derivative by a complex step: f(p + ih·e_k).imag / h, exact to rounding for h tiny
    (no subtraction, so no cancellation)."""
    h = 1e-40
    grads = {key: [np.zeros_like(v) for v in vs] for key, vs in p.items()}
    for key, vectors in p.items():
        for l, v in enumerate(vectors):
            for idx in np.ndindex(v.shape):
                q = {k: [u.astype(complex) for u in us] for k, us in p.items()}
                q[key][l][idx] += 1j * h
                grads[key][l][idx] = reference_loss(q, x, y, loss).imag / h
    return grads


def reference_run(p, running, batches, optimizer, lr, l2, loss):
    """Steps as torch.optim takes them (weight decay written as the l2 penalty's gradient on
    W only), and BatchNorm1d's running statistics (momentum 0.1, unbiased batch variance)."""
    p = {k: [v.copy() for v in vs] for k, vs in p.items()}
    mean, var = [m.copy() for m in running[0]], [v.copy() for v in running[1]]
    state = {}
    for t, (x, y) in enumerate(batches, start=1):
        a = x
        for l in range(len(p["W"]) - 1):  # the running statistics of this batch, layer by layer
            z = a @ p["W"][l] + p["b"][l]
            mu, biased, unbiased = z.mean(0), z.var(0), z.var(0, ddof=1)
            mean[l] = (1 - MOMENTUM) * mean[l] + MOMENTUM * mu
            var[l] = (1 - MOMENTUM) * var[l] + MOMENTUM * unbiased
            a = np.tanh(p["gamma"][l] * (z - mu) / np.sqrt(biased + EPS) + p["beta"][l])
        g = reference_gradient(p, x, y, loss)
        for key in p:
            for l in range(len(p[key])):
                grad = g[key][l] + (2 * l2 * p[key][l] if key == "W" else 0)
                if optimizer == "sgd":
                    step = lr * grad
                elif optimizer == "momentum":
                    buf = grad if t == 1 else 0.9 * state[key, l] + grad
                    state[key, l] = buf
                    step = lr * buf
                else:
                    m, v = state.get((key, l), (0.0, 0.0))
                    m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad**2
                    state[key, l] = (m, v)
                    step = lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
                p[key][l] = p[key][l] - step
    return p, (mean, var)


def values_of(net):
    hidden = range(net.depth - 1)
    return ({"W": [w.copy() for w in net.weights], "b": [b.copy() for b in net.biases],
             "gamma": [net.gammas[l].copy() for l in hidden],
             "beta": [net.betas[l].copy() for l in hidden]},
            ([net.running_mean[l].copy() for l in hidden],
             [net.running_var[l].copy() for l in hidden]))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_three_optimizer_steps_match_the_formulas_to_1e_8(optimizer, loss):
    if loss == "mse":
        data, sizes, output = regression(n=12, d=3, k=2, seed=4), (3, 4, 3, 2), "linear"
    else:
        data, sizes, output = classes(n=12, d=3, k=3, seed=4), (3, 4, 3, 3), "softmax"
    lr, l2 = (0.01 if optimizer == "adam" else 0.1), 0.01
    t = bn_trainer(sizes, data, "tanh", output, seed=3, loss=loss, optimizer=optimizer,
                   learning_rate=lr, l2=l2, batch_size=5)  # batches of 5, 5, 2
    net = t.network
    net.gammas[0][...] = [1.2, 0.8, -0.5, 1.0]  # γ and β off their start, so both matter
    net.betas[1][...] = [0.3, -0.2, 0.1]
    start, running = values_of(net)
    order = np.random.default_rng(3).permutation(12)  # the trainer's first epoch
    x, y = t.x_train[order], t.y_train[order]
    batches = [(x[i:i + 5], y[i:i + 5]) for i in (0, 5, 10)]
    assert t.run(steps=3) == 3
    want, (mean, var) = reference_run(start, running, batches, optimizer, lr, l2, loss)
    got, (got_mean, got_var) = values_of(net)
    for key in want:
        for a, b in zip(got[key], want[key]):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-8, err_msg=key)
    for a, b in zip(got_mean + got_var, mean + var):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)
    moved = [np.abs(got[k][0] - start[k][0]).max() for k in ("W", "gamma", "beta")]
    assert min(moved) > 1e-4  # every kind of parameter took the steps


# --- training and evaluation statistics -------------------------------------------------------


def test_training_uses_the_batch_and_evaluation_uses_the_running_statistics():
    t = bn_trainer((3, 4, 1), batch_size=20, init="xavier")  # one batch: the whole split
    net = t.network
    w, b = net.weights[0].copy(), net.biases[0].copy()
    x = t.x_train
    t.run(steps=1)
    z = x[np.random.default_rng(0).permutation(20)] @ w + b
    np.testing.assert_allclose(net.running_mean[0], 0.1 * z.mean(0), rtol=1e-12)
    np.testing.assert_allclose(net.running_var[0], 0.9 + 0.1 * z.var(0, ddof=1), rtol=1e-12)
    assert net.tracked.tolist() == [1]
    # evaluation: z normalised by the running statistics, as model.eval() does
    z = x @ net.weights[0] + net.biases[0]
    hidden = np.tanh(net.gammas[0] * (z - net.running_mean[0]) /
                     np.sqrt(net.running_var[0] + EPS) + net.betas[0])
    np.testing.assert_allclose(t.predict(t.raw_train.x), hidden @ net.weights[1] +
                               net.biases[1], rtol=1e-12, atol=1e-14)
    outputs = net.layer_outputs(x)  # what the probe and the neuron pictures read
    np.testing.assert_allclose(outputs[1], hidden, rtol=1e-13, atol=1e-15)  # formula order
    np.testing.assert_array_equal(outputs[-1], net.forward(x))
    before = everything(net)
    t.evaluate()
    t.predict(t.raw_train.x[:1])  # a single point evaluates fine: no batch statistics needed
    t.metrics()
    np.testing.assert_array_equal(everything(net), before)


def test_gradients_alone_never_move_the_running_statistics():
    t = bn_trainer()
    before = everything(t.network)
    t.gradients(t.x_train, t.y_train)
    np.testing.assert_array_equal(everything(t.network), before)


def test_a_dropped_step_leaves_parameters_and_running_statistics_as_they_were():
    t = bn_trainer(batch_size=5, learning_rate=1e6, optimizer="sgd", loss="mse")
    t.run(steps=50)
    assert t.diverged
    net = t.network
    assert np.all(np.isfinite(net.params)) and np.all(np.isfinite(net.running))
    before, tracked = everything(net), net.tracked.copy()
    assert t.run(steps=3) == 0
    np.testing.assert_array_equal(everything(net), before)
    assert net.tracked.tolist() == tracked.tolist() == [t.step_count] * 2


def test_the_guard_drops_a_step_whose_running_statistics_overflow():
    data = regression(n=20)
    huge = type(data)(data.x * 1e160, data.y, data.task, data.n_classes, data.feature_names,
                      data.target_names)
    t = bn_trainer(data=huge, batch_size=5)
    net = t.network
    before = everything(net)
    # z ~ 1e160: its variance overflows, so ẑ = 0 and the loss stays finite, and so do the
    # proposed parameters; only the running variance turns infinite
    assert not t.step() and t.diverged
    np.testing.assert_array_equal(everything(net), before)


# --- a batch of one -----------------------------------------------------------------------------


def test_a_batch_of_one_is_refused_with_a_clear_message():
    with pytest.raises(SettingError, match="batch_size must leave at least 2 samples in every "
                                           "mini-batch when batch norm is on: a batch size of 1"):
        bn_trainer(batch_size=1)
    with pytest.raises(SettingError, match="batches of 10 from 21 training rows end with a "
                                           "batch of 1"):
        bn_trainer(data=regression(n=21), batch_size=10)
    t = bn_trainer(batch_size=4)
    with pytest.raises(SettingError, match="a batch size of 1"):
        t.change_settings(batch_size=1)
    assert t.settings.batch_size == 4
    plain = bn_trainer(batch_norm=False, batch_size=1)
    with pytest.raises(SettingError, match="at least 2 samples"):
        plain.apply(ChangeSettings({}, batch_norm=True))
    assert plain.network.batch_norm == [False, False]
    bn_trainer(data=regression(n=21), batch_size=7)  # 7, 7, 7: fine
    with pytest.raises(EditError, match="at least 2 samples"):
        t.gradients(t.x_train[:1], t.y_train[:1])


def test_a_scenario_with_batches_of_one_names_the_key(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("batch_size = 5", "batch_size = 1"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"s.toml: \[training\] batch_size: must leave at "
                                            r"least 2 samples"):
        load_scenario(path).build()


# --- γ and β are not weights ------------------------------------------------------------------


def test_l1_l2_leave_gamma_and_beta_alone():
    plain, penalised = bn_trainer(), bn_trainer(l1=0.1, l2=0.1)
    for t in (plain, penalised):
        t.network.gammas[0][...] = 3.0
        t.gradients(t.x_train, t.y_train)
    a, b = plain.network, penalised.network
    start = a.n_weights
    np.testing.assert_array_equal(a.grad[start:], b.grad[start:])
    assert np.all(a.grad[:start] != b.grad[:start])
    assert plain.penalty() == 0 and penalised.penalty() == pytest.approx(
        sum(0.1 * np.abs(w).sum() + 0.1 * (w * w).sum() for w in b.weights))


@pytest.mark.parametrize("constraint", ["nonnegative", "simplex", "layer-simplex"])
def test_constraints_hold_for_weights_and_leave_gamma_and_beta_free(constraint):
    t = bn_trainer(batch_size=5, learning_rate=0.05, init="uniform")
    net = t.network
    net.gammas[0][...] = -2.0
    net.betas[1][...] = -3.0
    t.apply(ChangeSettings({}, constraint=constraint))
    t.run(steps=12)
    from gradstep.model.constraints import satisfied
    assert all(satisfied(w, constraint) for w in net.weights)
    assert np.all(net.gammas[0] < 0) and np.all(net.betas[1] < 0)  # never projected
    assert not np.allclose(net.gammas[0], -2.0)  # but trained


def test_freezing_marks_weights_only():
    from gradstep.edits import Freeze
    t = bn_trainer(batch_size=5)
    t.apply(Freeze(1, 0, 0, True))
    mask = t.network.frozen_mask
    assert mask.sum() == 1 and not mask[t.network.n_weights:].any()
    before = t.network.gammas[0].copy()
    t.run(steps=5)
    assert not np.array_equal(t.network.gammas[0], before)


# --- readouts -----------------------------------------------------------------------------------


def test_readouts_list_gamma_and_beta_apart_and_the_signal():
    t = bn_trainer((3, 5, 4, 1), batch_norm=[True, False], batch_size=5)
    r = t.readouts()
    first, second, out = r.layers
    assert first.gamma.tolist() == [1.0] * 5 and first.beta.tolist() == [0.0] * 5
    assert (first.gamma_mean, first.beta_mean) == (1.0, 0.0)
    assert second.gamma is None and second.gamma_mean is None and out.beta is None
    assert first.signal_mean is None  # no batch yet
    t.network.gammas[0][...] = [2.0, 1.0, 1.0, 1.0, 0.5]
    t.network.betas[0][...] = 0.25
    t.gradients(t.x_train[:5], t.y_train[:5])
    r = t.readouts()
    first, second = r.layers[:2]
    # over a batch, γ·ẑ + β has mean β and variance γ² (ẑ: mean 0, variance 1 less eps's)
    assert first.signal_mean == pytest.approx(0.25, abs=1e-12)
    assert first.signal_var == pytest.approx(np.mean([4.0, 1, 1, 1, 0.25]), rel=1e-4)
    z = np.tanh(t.network.last_preactivations[0]) @ t.network.weights[1] + t.network.biases[1]
    assert second.signal_mean == pytest.approx(z.mean())
    assert second.signal_var == pytest.approx(z.var(0).mean())
    assert first.sum == pytest.approx(t.network.weights[0].sum())  # Σw is weights alone
    assert t.network.parameter_count() == 3 * 5 + 5 * 4 + 4 + 5 + 4 + 1 + 2 * 5


# --- structural edits ---------------------------------------------------------------------------


def distinct(net):
    """Give every γ, β and running statistic its own value, to see where each one goes."""
    for l, on in enumerate(net.batch_norm):
        if on:
            n = net.sizes[l + 1]
            net.gammas[l][...] = 1 + np.arange(n) / 10 + l
            net.betas[l][...] = -np.arange(n) / 10 - l
            net.running_mean[l][...] = np.arange(n) + 100 * l
            net.running_var[l][...] = 2 + np.arange(n) + 100 * l
    return net.norms()


def test_resizing_keeps_surviving_neurons_and_starts_new_ones_fresh():
    t = bn_trainer((3, 5, 4, 1))
    old = distinct(t.network)
    t.apply(Resize(1, 7))
    new = t.network.norms()
    for a, b in zip(new[0][:4], old[0][:4]):
        np.testing.assert_array_equal(a[:5], b)
    assert new[0].gamma[5:].tolist() == [1, 1] and new[0].beta[5:].tolist() == [0, 0]
    assert new[0].mean[5:].tolist() == [0, 0] and new[0].var[5:].tolist() == [1, 1]
    for a, b in zip(new[1][:4], old[1][:4]):
        np.testing.assert_array_equal(a, b)
    t.apply(Resize(2, 2))
    for a, b in zip(t.network.norms()[1][:4], old[1][:4]):
        np.testing.assert_array_equal(a, b[:2])
    assert t.optimizer.state is None
    t.run(steps=3)


def test_inserting_and_removing_layers_keeps_batch_norm_consistent():
    t = bn_trainer((3, 5, 4, 1))
    old = distinct(t.network)
    t.apply(InsertLayer(2, 6))  # between the two hidden layers: normalised like its neighbour
    net = t.network
    assert net.sizes == [3, 5, 6, 4, 1] and net.batch_norm == [True, True, True]
    norms = net.norms()
    np.testing.assert_array_equal(norms[0].gamma, old[0].gamma)
    np.testing.assert_array_equal(norms[2].var, old[1].var)
    assert norms[1].gamma.tolist() == [1.0] * 6 and norms[1].var.tolist() == [1.0] * 6
    t.apply(RemoveLayer(1))  # the first hidden layer goes; the others keep theirs
    kept = t.network.norms()
    assert t.network.sizes == [3, 6, 4, 1] and len(kept) == 2
    for a, b in zip(kept, norms[1:]):
        for x, y in zip(a[:4], b[:4]):
            np.testing.assert_array_equal(x, y)
    t.apply(ChangeSettings({}, batch_norm=[False, True]))
    t.apply(InsertLayer(1, 3))  # before the first hidden layer: as the first hidden layer
    assert t.network.batch_norm == [False, False, True]
    t.run(steps=2)
    assert np.all(np.isfinite(t.network.params))


def test_dtype_and_reset_keep_the_layout():
    t = bn_trainer(batch_size=5)
    distinct(t.network)
    t.apply(ChangeSettings({}, dtype="float32"))
    net = t.network
    assert net.running.dtype == net.params.dtype == np.float32
    assert net.gammas[0][1] == np.float32(1.1)
    t.run(steps=3)
    t.reset()
    assert all(g.tolist() == [1.0] * len(g) for g in net.gammas if g is not None)
    assert net.running.tolist() == [0.0] * 9 + [1.0] * 9 and net.tracked.tolist() == [0, 0]


# --- the toggle and undo ------------------------------------------------------------------------


def test_the_settings_toggle_is_structural_and_undoable():
    t = bn_trainer(batch_norm=False, batch_size=5, optimizer="adam")
    ws = Workspace(t, Lesson("demo"))
    ws.step()
    before = t.snapshot()
    edit, note = SettingsScreen.edit_for(t, {**form(t), "batch_norm": True})
    assert edit.batch_norm is True and edit.structural and "batch norm on" in note
    ws.apply(edit)
    net = t.network
    assert net.batch_norm == [True, True] and t.optimizer.state is None
    assert net.params.size == before.network["params"].size + 2 * (5 + 4)
    ws.step()
    assert net.tracked.tolist() == [1, 1]
    assert ws.undo() == "a step" and ws.undo().startswith("settings: batch_norm")
    assert net.batch_norm == [False, False]
    np.testing.assert_array_equal(net.params, before.network["params"])
    assert t.optimizer.state is not None  # Adam's memory is back too
    ws.redo()
    assert net.batch_norm == [True, True] and t.optimizer.state is None
    assert SettingsScreen.edit_for(t, {**form(t), "batch_norm": True})[0] is None
    off, note = SettingsScreen.edit_for(t, {**form(t), "batch_norm": False})
    assert "batch norm off" in note
    ws.apply(off)
    assert net.batch_norm == [False, False] and net.params.size == before.network["params"].size


def test_some_layers_shows_as_such_and_leaves_them():
    t = bn_trainer(batch_norm=[True, False])
    screen = SettingsScreen(t, lambda values: None)
    assert screen.network_values["batch_norm"] == "some layers"
    assert SettingsScreen.edit_for(t, {**form(t), "batch_norm": None})[0] is None
    no_hidden = bn_trainer((3, 1), batch_norm=False)
    edit, _ = SettingsScreen.edit_for(no_hidden, {**form(no_hidden), "batch_norm": True})
    with pytest.raises(EditError, match="batch_norm needs a hidden layer"):
        no_hidden.apply(edit)


def form(t):
    s, net = t.settings, t.network
    return {"learning_rate": f"{s.learning_rate:g}", "batch_size": str(s.batch_size),
            "l1": f"{s.l1:g}", "l2": f"{s.l2:g}", "optimizer": s.optimizer, "loss": s.loss,
            "constraint": net.constraint, "dtype": net.dtype.name, "init": net.init,
            "standardize": s.standardize}


# --- spec, weights JSON, scenario files, sessions -----------------------------------------------

SCENARIO = """
title = "t"
description = "d"
[data]
kind = "xor"
samples = 40
seed = 1
[network]
layers = [2, 4, 3, 1]
batch_norm = [true, false]
[training]
batch_size = 5
epochs = 2
"""


def test_the_weights_json_and_a_scenario_take_everything_back(tmp_path):
    t = bn_trainer((3, 5, 4, 1), batch_norm=[False, True], batch_size=5, optimizer="adam")
    t.run(steps=9)
    doc = json.loads(weights_json(t.network))
    assert doc["batch_norm"] == [False, True]
    assert [len(v) for v in doc["gamma"]] == [4] and len(doc["running_var"][0]) == 4
    doc.pop("format")
    rebuilt = NetworkSpec.from_mapping(doc).build()
    np.testing.assert_array_equal(rebuilt.params, t.network.params)
    np.testing.assert_array_equal(rebuilt.running, t.network.running)
    x = t.x_train
    np.testing.assert_array_equal(rebuilt.forward(x), t.network.forward(x))

    lines = [f"{key} = {json.dumps(value)}" for key, value in doc.items()]
    path = tmp_path / "pasted.toml"
    path.write_text("title = \"t\"\n[data]\nkind = \"xor\"\n[network]\n" + "\n".join(lines) +
                    "\n", encoding="utf-8")
    spec = load_scenario(path).network
    assert spec == t.network.spec()

    other = bn_trainer((3, 5, 4, 1), batch_norm=[False, True], seed=9)
    (tmp_path / "w.json").write_text(weights_json(t.network), encoding="utf-8")
    load_weights(other, tmp_path / "w.json")
    np.testing.assert_array_equal(other.network.params, t.network.params)
    np.testing.assert_array_equal(other.network.running, t.network.running)
    plain = bn_trainer((3, 5, 4, 1), batch_norm=False)
    before = plain.network.params.copy()
    with pytest.raises(EditError, match=r"its batch norm layers \[off, on\] differ from the "
                                        r"network's \[off, off\]"):
        load_weights(plain, tmp_path / "w.json")
    swapped = bn_trainer((3, 5, 4, 1), batch_norm=[True, False])  # a layer of 4 vs one of 5
    with pytest.raises(EditError, match=r"\[off, on\] differ from the network's \[on, off\]"):
        load_weights(swapped, tmp_path / "w.json")
    np.testing.assert_array_equal(plain.network.params, before)  # nothing loaded


def test_networks_without_batch_norm_write_what_they_always_wrote():
    doc = json.loads(weights_json(Network([2, 3, 1])))
    assert not {"batch_norm", "gamma", "beta", "running_mean", "running_var"} & set(doc)


@pytest.mark.parametrize("line, words", [
    ("batch_norm = \"yes\"", "[network] batch_norm: must be true or false, or a list of 2 of "
                             "them (one per hidden layer), got 'yes'"),
    ("batch_norm = [true]", "[network] batch_norm: must be true or false, or a list of 2"),
    ("batch_norm = [true, false]\ngamma = [[1, 2, 3]]", "[network] gamma: entry 0 must be 4 "
                                                         "numbers"),
    ("batch_norm = [true, true]\ngamma = [[1, 1, 1, 1]]", "[network] gamma: must be a list of 2 "
                                                           "lists of numbers, one per "
                                                           "batch-normalised hidden layer"),
    ("batch_norm = true\nrunning_var = [[1, 1, -1, 1], [1, 1, 1]]",
     "[network] running_var: entry 0 must be 4 numbers (0 to 1e+09)"),
    ("batch_norm = false\nbeta = [[0, 0, 0, 0]]", "[network] beta: is for batch-normalised "
                                                  "layers, and batch_norm is off"),
])
def test_bad_batch_norm_keys_name_the_key(tmp_path, line, words):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace("batch_norm = [true, false]", line), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_batch_norm_needs_a_hidden_layer(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace("layers = [2, 4, 3, 1]", "layers = [2, 1]")
                    .replace("[true, false]", "true"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"\[network\] batch_norm: needs a hidden layer"):
        load_scenario(path)


def test_a_scenario_with_batch_norm_on_some_layers(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    t = load_scenario(path).build()
    assert t.network.batch_norm == [True, False] and t.network.gammas[1] is None
    assert t.run(epochs=2) > 0 and t.network.tracked.tolist() == [t.step_count, 0]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_sessions_resume_bit_for_bit(tmp_path, optimizer):
    t = bn_trainer((3, 5, 4, 1), batch_norm=[True, False], data=regression(n=23),
                   batch_size=5, optimizer=optimizer, l2=0.01)
    t.run(steps=7)
    path = tmp_path / "s.gradstep.npz"
    save_session(path, t, Lesson("bn"))
    loaded, _ = load_session(path)
    np.testing.assert_array_equal(everything(loaded.network), everything(t.network))
    assert loaded.network.batch_norm == [True, False]
    assert loaded.network.tracked.tolist() == t.network.tracked.tolist() == [7, 0]
    t.run(steps=13)
    loaded.run(steps=13)
    np.testing.assert_array_equal(everything(loaded.network), everything(t.network))
    assert loaded.history.last("train_loss") == t.history.last("train_loss")
    assert loaded.evaluate().train_loss == t.evaluate().train_loss


def test_a_session_with_bad_statistics_is_refused(tmp_path):
    from gradstep.session import SessionError
    t = bn_trainer(batch_size=5)
    t.run(steps=3)
    path = tmp_path / "s.npz"
    save_session(path, t)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    for key, value in (("running", -np.abs(arrays["running"])),
                       ("running", arrays["running"][:-1]), ("tracked", -arrays["tracked"])):
        np.savez(path, **{**arrays, key: value})
        with pytest.raises(SessionError, match="batch norm"):
            load_session(path)


def test_load_weights_edit_checks_the_batch_norm_values():
    t = bn_trainer((3, 5, 4, 1), batch_norm=[True, False])
    net = t.network
    edit = LoadWeights([w.tolist() for w in net.weights], None, "x",
                       {"gamma": [[1, 2, 3, 4, 5]], "running_var": [[1, 1, 1, 1, "x"]]})
    before = everything(net)
    with pytest.raises(EditError, match="running_var entry 0"):
        t.apply(edit)
    np.testing.assert_array_equal(everything(net), before)


# --- the lesson ---------------------------------------------------------------------------------

SEEDS = (None, 0, 1, 2, 3, 4)  # None: the file's own seed
_trained: dict = {}


def seed_id(seed):
    return "file-seed" if seed is None else f"seed{seed}"


def side_by_side(seed):
    """A (batch norm, free weights) and B (no batch norm, layer-simplex) trained in lockstep to
    the end of the run, as `r` and `gradstep train` train them; B's accuracy after each epoch."""
    if seed not in _trained:
        scenario = load_scenario("batch-norm")
        a, b = scenario.build_all(seed=seed)
        pair, accuracy = Lockstep([a, b]), []
        for _ in range(scenario.settings.epochs):
            pair.run(epochs=1)
            accuracy.append(b.evaluate().accuracy)
        _trained[seed] = (a, b, accuracy)
    return _trained[seed]


def lesson(seed):
    return side_by_side(seed)[0]


def test_the_scenario_is_deep_normalized_with_free_weights_and_batch_norm():
    bn, deep = load_scenario("batch-norm"), load_scenario("deep-normalized")
    assert bn.network.layers == deep.network.layers and bn.network.activation == \
        deep.network.activation
    assert deep.network.constraint == "layer-simplex" and bn.network.constraint == "none"
    assert all(bn.network.batch_norm) and not any(deep.network.batch_norm)
    # B: deep-normalized's network (no batch norm, layer-simplex) under A's optimizer
    assert bn.compare.network == deep.network.replace(seed=bn.network.seed)
    assert bn.compare.settings == bn.settings and bn.compare.changed == ("batch_norm",
                                                                         "constraint")
    assert bn.lesson.watch and bn.lesson.pace and bn.lesson.focus
    text = bn.description
    for claim in ("Σw wanders far from 1", "above 2 in some layers and below 0 in others",
                  "0.5 to 1.2", "about γ²", "below 0.001 by W6", "test accuracy 95% or more",
                  "B's reads 1.000 in every layer", "B's ends at 49%",
                  "normalise the signals, not the weights"):
        assert claim in text


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_batch_norm_learns_while_the_weights_wander(seed):
    t = lesson(seed)
    assert not t.diverged and t.epoch_count == load_scenario("batch-norm").settings.epochs
    e = t.evaluate()
    assert e.accuracy >= 0.95  # the circle is learned
    losses = t.history.column("test_loss")
    assert losses[-1] < losses[0] / 2  # the loss falls
    sums = [r.sum for r in t.readouts().layers]
    assert max(sums) > 2 and min(sums) < 0  # Σw wanders far from 1, either way


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_every_hidden_signal_keeps_mean_near_0_and_variance_near_1(seed):
    t = lesson(seed)
    hidden = t.readouts().layers[:-1]
    assert len(hidden) == 8
    for r in hidden:  # var z 0.5-1.2 (the lesson's claim); mean z near 0, mean|a| above 0.5
        assert abs(r.signal_mean) < 0.5 and 0.5 < r.signal_var < 1.2
        assert r.mean_abs_activation > 0.5
        # mean β, variance γ², up to the last step's update (the signal is the last batch's,
        # taken before it; γ and β are read after it)
        assert r.signal_mean == pytest.approx(r.beta_mean, abs=0.02)
        assert r.signal_var == pytest.approx(np.mean(r.gamma**2), rel=0.05)


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_b_with_weights_on_a_budget_fades_and_stays_a_coin_toss(seed):
    a, b, accuracy = side_by_side(seed)
    assert not b.diverged and b.epoch_count == a.epoch_count == 40
    layers = b.readouts().layers
    assert all(abs(r.sum - 1) < 1e-9 for r in layers)            # Σw 1.000 in every layer
    var = [r.signal_var for r in layers[:-1]]
    assert all(later < earlier for earlier, later in zip(var, var[1:]))  # layer after layer
    assert var[6] < 1e-3 and var[7] < 1e-3                        # below 0.001 by W6
    assert all(r.mean_abs_activation < 0.3 for r in layers[:-1])  # the signal itself fades
    assert accuracy[-1] == pytest.approx(0.49)                    # a coin toss at the end


def test_deep_normalized_fades_where_batch_norm_holds():
    scenario = load_scenario("deep-normalized")
    t = scenario.build()
    t.run(epochs=scenario.settings.epochs)
    last = t.readouts().layers[-2]
    assert last.signal_var < 1e-3 and last.mean_abs_activation < 0.05
    assert lesson(0).readouts().layers[-2].signal_var > 0.5
