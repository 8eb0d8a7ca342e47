"""Analytic gradients against central finite differences, for every activation × output × loss."""

import itertools

import numpy as np
import pytest

from gradstep.model import Network
from gradstep.model.activations import HIDDEN, OUTPUT
from gradstep.model.losses import LOSSES, REQUIRED_OUTPUT
from helpers import classes, regression, trainer

EPS = 1e-6


def combos():
    for hidden, output, loss in itertools.product(HIDDEN, OUTPUT, LOSSES):
        if REQUIRED_OUTPUT.get(loss, output) != output:
            continue
        for l1, l2 in ((0.0, 0.0), (0.01, 0.03)):
            yield hidden, output, loss, l1, l2


def objective(t, x, y):
    loss, _, _ = t.gradients(x, y)
    return loss + t.penalty()


@pytest.mark.parametrize("hidden,output,loss,l1,l2", list(combos()))
def test_gradients_match_finite_differences(hidden, output, loss, l1, l2):
    if output in ("softmax",) or loss in ("cross-entropy",):
        data = classes(n=12, d=3, k=3, seed=1)
    elif loss == "bce":
        data = classes(n=12, d=3, k=2, seed=1)
    else:
        data = regression(n=12, d=3, k=3, seed=1)
    k = 3 if (data.task == "regression" or data.n_classes == 3) else 1
    net = Network([3, 5, 4, k], hidden, output, init="normal", seed=2)
    t = trainer(data=data, network=net, loss=loss, l1=l1, l2=l2, batch_size=12)
    x, y = t.x_train, t.y_train
    _, gw, gb = t.gradients(x, y)
    gw, gb = [g.copy() for g in gw], [g.copy() for g in gb]  # views of a reused buffer
    for l in range(net.depth):
        for params, grads in ((net.weights, gw), (net.biases, gb)):
            p = params[l]
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + EPS
                up = objective(t, x, y)
                p[idx] = old - EPS
                down = objective(t, x, y)
                p[idx] = old
                numeric[idx] = (up - down) / (2 * EPS)
            np.testing.assert_allclose(grads[l], numeric, rtol=1e-4, atol=1e-7,
                                       err_msg=f"layer {l}")


def test_losses_match_torch_definitions():
    t = trainer((2, 2), regression(n=4, d=2, k=2), output="linear", loss="mse")
    net = t.network
    x, y = t.x_train, t.y_train
    out = net.forward(x)
    assert t.gradients(x, y)[0] == pytest.approx(np.mean((out - y) ** 2))
    t.change_settings(loss="mae")
    assert t.gradients(x, y)[0] == pytest.approx(np.mean(np.abs(out - y)))


def test_cross_entropy_is_mean_negative_log_probability():
    data = classes(n=6, d=2, k=3)
    t = trainer((2, 3), data, output="softmax", loss="cross-entropy", batch_size=6)
    p = t.network.forward(t.x_train)
    expected = -np.mean(np.log(p[np.arange(6), data.y]))
    assert t.gradients(t.x_train, t.y_train)[0] == pytest.approx(expected)


def test_bce_stays_finite_for_saturated_outputs():
    data = classes(n=4, d=1, k=2)
    net = Network([1, 1], output="sigmoid", weights=[[[1000.0]]], biases=[[0.0]])
    t = trainer((1, 1), data, network=net, loss="bce", batch_size=4)
    loss, gw, gb = t.gradients(t.x_train, t.y_train)
    assert np.isfinite(loss) and np.all(np.isfinite(gw[0]))
    assert loss > 10  # confidently wrong on some points


def test_l1_gradient_uses_sign_zero_at_zero():
    net = Network([2, 1], weights=[[[0.0], [2.0]]], biases=[[0.0]])
    data = regression(n=5, d=2, k=1)
    t = trainer((2, 1), data, network=net, l1=0.5, batch_size=5)
    gw_l1 = t.gradients(t.x_train, t.y_train)[1][0].copy()
    t.change_settings(l1=0.0)
    _, gw, _ = t.gradients(t.x_train, t.y_train)
    np.testing.assert_allclose(gw_l1 - gw[0], [[0.0], [0.5]])
