"""The trainer: steps and epochs, reproducibility, the divergence guard, L1 zeros, settings."""

import math

import numpy as np
import pytest

from gradstep.errors import EditError, SettingError
from gradstep.model import Network
from gradstep.training import encode_targets
from gradstep.edits import Freeze, Resize, SetActivation, SetWeight
from helpers import classes, regression, trainer


def test_steps_and_epochs_count_mini_batches():
    t = trainer((3, 4, 1), regression(n=25), batch_size=10)
    assert t.steps_per_epoch == 3
    t.run(steps=2)
    assert (t.step_count, t.epoch_count) == (2, 0)
    t.epoch()
    assert (t.step_count, t.epoch_count) == (3, 1)
    t.run(epochs=2)
    assert (t.step_count, t.epoch_count) == (9, 3)
    assert list(t.history.column("step")) == [0, 3, 6, 9]


def test_batch_at_least_the_split_uses_the_whole_split():
    t = trainer((3, 1), regression(n=25), batch_size=1000)
    t.step()
    assert (t.step_count, t.epoch_count) == (1, 1)
    assert len(t.network.last_activations[0]) == 25


def test_same_seed_same_run_and_another_seed_another():
    runs = []
    for seed in (3, 3, 4):
        t = trainer((3, 4, 1), seed=seed, batch_size=5)
        t.run(steps=37)
        runs.append(t.network.weights[0])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_divergence_keeps_the_last_finite_weights_and_stops():
    t = trainer((3, 8, 1), activations="relu", learning_rate=1e5, batch_size=40)
    done = t.run(steps=100)
    assert t.diverged and done < 100
    assert all(np.all(np.isfinite(w)) for w in t.network.weights)
    assert "diverged" in t.status and "smaller learning rate" in t.status
    before = [w.copy() for w in t.network.weights]
    assert t.step() is False
    for a, b in zip(before, t.network.weights):
        np.testing.assert_array_equal(a, b)
    t.change_settings(learning_rate=0.01)
    assert not t.diverged  # a person's change lets them try again
    t.reset()
    assert t.step()


def test_l1_makes_exact_zeros_where_l2_only_shrinks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x[:, :1] * 2.0  # only the first input matters
    from gradstep.scenarios.data import Dataset
    data = Dataset(x, y, "regression", 0, ("a", "b", "c", "d"), ("y",))
    l1 = trainer((4, 1), data, l1=0.05, learning_rate=0.05, batch_size=200)
    l2 = trainer((4, 1), data, l2=0.05, learning_rate=0.05, batch_size=200)
    l1.run(steps=500)
    l2.run(steps=500)
    assert np.all(l1.network.weights[0][1:] == 0.0)
    assert np.all(l2.network.weights[0][1:] != 0.0)
    assert abs(l1.network.weights[0][0, 0]) > 1.5
    assert l1.penalty() == pytest.approx(0.05 * np.abs(l1.network.weights[0]).sum())


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_frozen_weight_never_moves(optimizer):
    t = trainer((3, 4, 1), optimizer=optimizer, learning_rate=0.1)
    t.apply(Freeze(0, 1, 2, True))
    value = t.network.weights[0][1, 2]
    t.run(steps=30)
    assert t.network.weights[0][1, 2] == value
    assert not np.array_equal(t.network.weights[1], trainer((3, 4, 1)).network.weights[1])


def linear_data(n, coefficients, intercept, noise, seed):
    from gradstep.scenarios.data import Dataset
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(coefficients))) * [1.0, 4.0, 0.5][:len(coefficients)] + 2.0
    y = x @ np.array(coefficients).reshape(-1, 1) + intercept + noise * rng.normal(size=(n, 1))
    return Dataset(x, y, "regression", 0, tuple(f"x{i}" for i in range(x.shape[1])), ("y",))


def test_least_squares_recovers_noiseless_coefficients():
    coefficients, intercept = [1.5, -0.25, 3.0], 0.75
    data = linear_data(60, coefficients, intercept, 0.0, 1)
    w, b = trainer((3, 1), data).least_squares()
    np.testing.assert_allclose(w[:, 0], coefficients, rtol=1e-9)
    np.testing.assert_allclose(b, [intercept], rtol=1e-9)
    # standardized inputs: the same line, written in the scaled coordinates
    w, b = trainer((3, 1), data, standardize=True).least_squares()
    x = np.array(data.x)
    mean, std = x.mean(axis=0), x.std(axis=0)
    np.testing.assert_allclose(w[:, 0], np.array(coefficients) * std, rtol=1e-9)
    np.testing.assert_allclose(b, [intercept + mean @ coefficients], rtol=1e-9)


def test_least_squares_solves_the_normal_equations():
    data = linear_data(100, [0.5, 2.0, -1.0], -3.0, 0.7, 2)
    x, y = np.array(data.x), np.array(data.y)
    w, b = trainer((3, 1), data).least_squares()
    ones = np.hstack([x, np.ones((100, 1))])
    beta = np.linalg.solve(ones.T @ ones, ones.T @ y)  # (XᵀX) β = Xᵀy, by hand
    np.testing.assert_allclose(np.vstack([w, b]), beta, rtol=1e-9)
    no_bias = trainer((3, 1), data, network=Network([3, 1], bias=False))
    w, b = no_bias.least_squares()
    np.testing.assert_allclose(w, np.linalg.solve(x.T @ x, x.T @ y), rtol=1e-9)
    np.testing.assert_array_equal(b, [0.0])
    data = regression(n=100)  # well conditioned: gradient descent on the mse gets there
    t = trainer((3, 1), data, learning_rate=0.1, batch_size=100)
    t.run(steps=2000)
    ones = np.hstack([np.array(data.x), np.ones((100, 1))])
    beta = np.linalg.solve(ones.T @ ones, ones.T @ np.array(data.y))
    np.testing.assert_allclose(t.least_squares()[0], beta[:3], rtol=1e-9)
    np.testing.assert_allclose(t.network.weights[0], beta[:3], atol=1e-3)
    np.testing.assert_allclose(t.network.biases[0], beta[3], atol=1e-3)
    assert trainer((3, 4, 1)).least_squares() is None
    assert trainer((3, 1), data, loss="mae").least_squares() is None


def test_standardize_gives_zero_mean_unit_std_on_the_training_split():
    data = regression(n=50)
    t = trainer((3, 1), data, standardize=True)
    np.testing.assert_allclose(t.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(t.x_train.std(axis=0), 1)
    np.testing.assert_allclose(t.predict(data.x), t.network.forward(t.x_train))


def test_classification_targets_and_accuracy():
    data = classes(n=30, k=2)
    net = Network([3, 1], output="tanh")
    assert set(np.unique(encode_targets(data, net, "mse"))) == {-1.0, 1.0}
    net = Network([3, 1], output="sigmoid")
    assert set(np.unique(encode_targets(data, net, "bce"))) == {0.0, 1.0}
    data3 = classes(n=30, k=3)
    net = Network([3, 3], output="softmax")
    assert encode_targets(data3, net, "cross-entropy").dtype.kind == "i"
    assert encode_targets(data3, net, "mse").sum(axis=1).tolist() == [1.0] * 30
    separable = data3.subset(np.arange(30))
    object.__setattr__(separable, "y", data3.x.argmax(axis=1))  # labels a linear map can learn
    t = trainer((3, 3), separable, output="softmax", loss="cross-entropy", learning_rate=0.5)
    start = t.evaluate().accuracy
    t.run(steps=300)
    accuracy = t.evaluate().accuracy
    assert accuracy > 0.9 and accuracy > start
    assert t.readouts().output_probability_sum == pytest.approx(1.0)


def test_bad_settings_change_nothing():
    t = trainer((3, 4, 1))
    before = t.settings
    for change in ({"learning_rate": 0}, {"learning_rate": float("nan")}, {"learning_rate": "x"},
                   {"batch_size": 0}, {"batch_size": 2.5}, {"l1": -1}, {"optimizer": "rmsprop"},
                   {"loss": "cross-entropy"}, {"loss": "bce"}, {"standardize": "yes"},
                   {"momentum": 0.5}):
        with pytest.raises(SettingError):
            t.change_settings(**change)
        assert t.settings == before


def test_output_change_that_breaks_the_loss_is_refused():
    t = trainer((3, 3), classes(n=30, k=3), output="softmax", loss="cross-entropy")
    with pytest.raises(EditError, match="softmax"):
        t.apply(SetActivation(1, "tanh"))
    assert t.network.output == "softmax"
    t.step()


def test_structural_edit_resets_optimizer_memory_and_marks_history():
    t = trainer((3, 4, 1), optimizer="adam")
    t.run(steps=3)
    assert t.optimizer.state is not None
    t.apply(Resize(1, 6))
    assert t.optimizer.state is None and t.history.edits == [3]
    t.run(steps=3)
    assert t.network.weights[0].shape == (3, 6)


def test_history_grows_to_many_evaluations():
    t = trainer((3, 1), regression(n=4), batch_size=4)
    t.run(steps=5000)
    assert len(t.history) == 5001
    assert math.isnan(t.history.last("test_loss"))
    assert t.history.column("train_loss")[-1] < t.history.column("train_loss")[0]


def test_reset_starts_again():
    t = trainer((3, 4, 1))
    t.run(steps=10)
    t.reset()
    assert t.step_count == 0 and len(t.history) == 1


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_restoring_a_snapshot_gives_the_same_next_steps_bit_for_bit(optimizer):
    t = trainer((3, 4, 2, 1), regression(n=23), optimizer=optimizer, batch_size=5, l1=0.01)
    t.run(steps=7)
    t.apply(Freeze(0, 1, 1, True))
    snap = t.snapshot()
    t.run(steps=9)
    after = t.network.params.copy(), t.history.column("train_loss").copy()
    t.apply(Resize(1, 7))  # wander off, then come back
    t.change_settings(learning_rate=0.5, batch_size=3)
    t.run(steps=4)
    t.restore(snap)
    assert t.step_count == 7 and t.network.sizes == [3, 4, 2, 1]
    t.run(steps=9)
    np.testing.assert_array_equal(t.network.params, after[0])
    np.testing.assert_array_equal(t.history.column("train_loss"), after[1])


def test_l1_zeros_stay_zero_while_the_data_pulls_less_than_l1():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4))
    y = x[:, :1] * 2.0 + 0.3 * rng.normal(size=(64, 1))  # noise: useless inputs get small pulls
    from gradstep.scenarios.data import Dataset
    data = Dataset(x, y, "regression", 0, ("a", "b", "c", "d"), ("y",))
    t = trainer((4, 1), data, l1=0.1, learning_rate=0.05, batch_size=64)
    t.run(steps=200)
    zero_counts = []
    for _ in range(40):  # the zeros hold step after step instead of flickering
        t.step()
        zero_counts.append(int(np.sum(t.network.weights[0][1:] == 0.0)))
    assert len(set(zero_counts)) == 1 and zero_counts[0] >= 2


def test_runaway_weights_count_as_diverged_before_they_overflow():
    t = trainer((3, 8, 1), activations="relu", learning_rate=50.0, batch_size=40)
    t.run(steps=1000)
    assert t.diverged
    assert np.linalg.norm(t.network.params) <= 1e9
    assert np.isfinite(t.evaluate().train_loss)


def test_negative_seeds_are_refused():
    with pytest.raises(EditError):
        Network([2, 1], seed=-1)
    with pytest.raises(SettingError):
        trainer((3, 1), seed=0).__class__(Network([3, 1]), regression(), regression(), seed=-1)


def test_restore_puts_back_a_history_row_an_edit_overwrote_in_place():
    t = trainer((3, 4, 1), regression(n=20), batch_size=20)
    t.run(steps=3)
    before = t.history.column("train_loss").copy()
    snap = t.snapshot()
    t.apply(SetWeight(0, 0, 0, 5.0))
    t.evaluate()  # same step: replaces the last row of the shared history
    assert t.history.column("train_loss")[-1] != before[-1]
    t.restore(snap)
    np.testing.assert_array_equal(t.history.column("train_loss"), before)


def test_evaluate_is_a_pure_cached_read_that_follows_every_change():
    t = trainer((3, 4, 1))
    rows = len(t.history)
    first = t.evaluate()
    assert t.evaluate() is first and len(t.history) == rows  # cached, and records nothing
    for change in (lambda: t.step(), lambda: t.apply(SetWeight(0, 0, 0, 2.0)),
                   lambda: t.change_settings(learning_rate=0.1)):
        before = t.evaluate()
        change()
        after = t.evaluate()
        assert after is not before
        x, y = t.x_train, t.y_train
        expected = float(np.mean((t.network.forward(x) - y) ** 2))
        assert after.train_loss == pytest.approx(expected, rel=1e-12)


def test_history_rows_come_from_epochs_and_edits_only():
    t = trainer((3, 4, 1), regression(n=20), batch_size=10)
    assert list(t.history.column("step")) == [0]
    t.step()
    t.evaluate()
    assert list(t.history.column("step")) == [0]       # a step mid-epoch, a read: no row
    t.step()
    assert list(t.history.column("step")) == [0, 2]    # the epoch's end
    t.apply(SetWeight(0, 0, 0, 1.0))
    assert list(t.history.column("step")) == [0, 2, 2]  # an edit: a row, appended
    assert t.history.edits == [2]
    assert list(t.history.losses()[0]) == [1.0, 2.0]    # one mini-batch loss per step


def test_run_stops_when_asked_after_a_step():
    t = trainer((3, 4, 1))
    calls = []
    done = t.run(steps=100, stop=lambda: calls.append(1) or len(calls) == 7)
    assert done == 7 and t.step_count == 7


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_committed_step_trades_params_with_the_proposal_and_the_views_follow(optimizer):
    t = trainer((3, 4, 2), regression(n=25, k=2), batch_size=10, optimizer=optimizer)
    net = t.network
    for _ in range(3):  # an odd number of trades, across an epoch's shorter last batch
        before = net.params.copy()
        assert t.step()
        assert not np.shares_memory(net.params, net.proposal)
        assert not np.array_equal(net.params, before)
        flat = np.concatenate([w.ravel() for w in net.weights] + list(net.biases))
        np.testing.assert_array_equal(flat, net.params)
        assert all(np.shares_memory(w, net.params) for w in net.weights + net.biases)
    net.set_weight(0, 1, 2, 0.25)  # an edit after the trades lands in the live parameters
    assert net.params[1 * 4 + 2] == 0.25


@pytest.mark.parametrize("activation", ["relu", "leaky-relu", "tanh", "sigmoid", "linear"])
def test_the_training_pass_in_kept_arrays_is_the_evaluation_pass_bit_for_bit(activation):
    t = trainer((3, 5, 4, 3), classes(n=25), activations=activation, output="softmax",
                loss="cross-entropy", batch_size=10)
    t.run(steps=4)  # two sizes of batch: 10, 10, 5 and 10 again
    net = t.network
    for rows in (np.arange(10), np.arange(5, 10), np.arange(25)):
        x = t.x_train[rows]
        expected = net.forward(x, every=True)
        got = [a.copy() for a in net.forward(x, keep=True, every=True)]
        for a, b in zip(expected, got):
            np.testing.assert_array_equal(a, b)


def test_standardizing_inputs_near_the_float_limit_prints_no_warning():
    """Their variance overflows (a crafted session or CSV can hold 1e300): no RuntimeWarning
    reaches the terminal, and the trainer is built."""
    import warnings

    from gradstep.model import Network
    from gradstep.scenarios.data import Dataset
    from gradstep.training import Trainer, TrainingSettings

    x = np.array([[1e300, 1.0], [-1e300, 2.0], [1e299, 3.0]])
    data = Dataset(x, np.array([[1.0], [2.0], [3.0]]), "regression", 1, ("a", "b"), ("y",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Trainer(Network([2, 1], "linear", "linear", seed=0), data,
                    data.subset(np.arange(0)), TrainingSettings(standardize=True), seed=0)
    assert t.std[1] == pytest.approx(np.std([1.0, 2.0, 3.0]))
