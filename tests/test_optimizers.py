"""Optimizer updates against values computed by hand (torch.optim semantics)."""

import numpy as np
import pytest

from gradstep.model.optimizers import Optimizer


def run(name, grads, lr=0.1, p0=1.0):
    opt = Optimizer(name)
    p = np.array([p0])
    for g in grads:
        p, state = opt.propose(p, np.array([g]), lr)
        opt.commit(state)
    return float(p[0])


def test_sgd():
    assert run("sgd", [2.0, -1.0]) == pytest.approx(1.0 - 0.2 + 0.1)


def test_momentum_first_buffer_is_the_gradient_then_accumulates():
    # buf1 = 2, p = 1 - 0.2 = 0.8; buf2 = 0.9*2 + 1 = 2.8, p = 0.8 - 0.28 = 0.52
    assert run("momentum", [2.0, 1.0]) == pytest.approx(0.52)


def test_adam_first_step_moves_by_lr_whatever_the_gradient_scale():
    assert run("adam", [1234.5], lr=0.01) == pytest.approx(1.0 - 0.01, abs=1e-9)


def test_adam_two_steps_by_hand():
    g1, g2, lr = 0.5, -0.25, 0.1
    m1, v1 = 0.1 * g1, 0.001 * g1**2
    p1 = 1.0 - lr * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + 1e-8)
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2**2
    p2 = p1 - lr * (m2 / (1 - 0.9**2)) / (np.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    assert run("adam", [g1, g2]) == pytest.approx(p2, rel=1e-12)


def test_propose_changes_nothing_until_commit():
    opt = Optimizer("adam")
    p = np.array([1.0])
    new, state = opt.propose(p, np.array([1.0]), 0.1)
    assert p[0] == 1.0 and opt.state is None
    opt.commit(state)
    assert opt.state[2] == 1


def test_momentum_keeps_its_own_copy_of_the_first_gradient():
    opt = Optimizer("momentum")
    grad = np.array([1.0])
    _, state = opt.propose(np.array([0.0]), grad, 0.1)
    opt.commit(state)
    grad[0] = 99.0  # the trainer reuses its gradient buffer
    assert opt.state[0] == 1.0


def test_zero_gradient_leaves_parameters_exactly_alone():
    for name in ("sgd", "momentum", "adam"):
        p = np.array([0.25, -3.0])
        new, _ = Optimizer(name).propose(p, np.zeros(2), 1.0)
        np.testing.assert_array_equal(new, p)
