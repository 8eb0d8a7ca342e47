"""Every number gradstep reports, checked against a hand computation in plain numpy.

The formulas here are written out from their definitions (PyTorch's, for the losses) and share
no code with gradstep: the forward pass, the target encodings, the losses, the accuracy, the
weight sums and the gradient norm (by finite differences). The data are made here too, so the
test never reads the trainer's own copy of what it computes from.
"""

import json

import numpy as np
import pytest

from gradstep import cli
from gradstep.model import Network
from gradstep.scenarios import load_scenario
from gradstep.scenarios.data import Dataset, load_data
from gradstep.training import Trainer, TrainingSettings

RTOL = 1e-10


# ---- the hand computations ---------------------------------------------------------------

def act(name, z):
    if name == "linear":
        return z
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky-relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "tanh":
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def forward(x, weights, biases, hidden, output, bias=True):
    """[(z, a) per weight layer] for inputs x: a_{l+1} = f(a_l W_l + b_l)."""
    layers, a = [], x
    names = list(hidden) + [output]
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + (b if bias else 0.0)
        a = act(names[l], z)
        layers.append((z, a))
    return layers


def standardized(x, train_x):
    """Inputs scaled by the TRAINING split's mean and (population) standard deviation."""
    mean = train_x.mean(axis=0)
    std = np.sqrt(((train_x - mean) ** 2).mean(axis=0))
    std = np.where(std > 0, std, 1.0)
    return (x - mean) / std


def targets(labels_or_y, task, loss, output, k):
    """What the output is compared with: y itself, labels, or 0/1 (±1 for tanh/linear) columns."""
    if task == "regression" or loss == "cross-entropy":
        return labels_or_y
    low = 0.0 if output in ("sigmoid", "softmax") else -1.0
    if k == 1:
        hot = (labels_or_y == 1).reshape(-1, 1)
    else:
        hot = np.zeros((len(labels_or_y), k), bool)
        hot[np.arange(len(labels_or_y)), labels_or_y] = True
    return np.where(hot, 1.0, low)


def loss_by_hand(loss, z, a, t):
    """torch.nn.MSELoss, L1Loss, BCEWithLogitsLoss and CrossEntropyLoss, mean reduction."""
    if loss == "mse":
        return np.sum((a - t) ** 2) / a.size
    if loss == "mae":
        return np.sum(np.abs(a - t)) / a.size
    if loss == "bce":  # -[t log σ(z) + (1 - t) log(1 - σ(z))]
        p = 1.0 / (1.0 + np.exp(-z))
        return np.sum(-(t * np.log(p) + (1 - t) * np.log(1 - p))) / a.size
    if loss == "cross-entropy":  # -log softmax(z)[label], averaged over rows
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(t)), t]))
    raise ValueError(loss)


def accuracy_by_hand(a, labels, output):
    if a.shape[1] == 1:
        predicted = (a[:, 0] > (0.5 if output == "sigmoid" else 0.0)).astype(int)
    else:
        predicted = a.argmax(axis=1)
    return np.count_nonzero(predicted == labels) / len(labels)


class Case:
    """One network on one pair of splits, with everything the hand computation needs."""

    def __init__(self, sizes, hidden, output, loss, train, test, *, standardize=False,
                 bias=True, seed=0, l2=0.0, batch_size=None):
        self.sizes, self.hidden, self.output, self.loss = sizes, hidden, output, loss
        self.train, self.test, self.standardize, self.bias, self.l2 = (train, test, standardize,
                                                                        bias, l2)
        self.trainer = None
        if seed is not None:
            net = Network(sizes, hidden, output, bias=bias, seed=seed, init="normal")
            settings = TrainingSettings(loss=loss, learning_rate=0.05, standardize=standardize,
                                        batch_size=batch_size or len(train), l2=l2)
            self.trainer = Trainer(net, train, test, settings, seed=seed)
            self.params = lambda: ([np.array(w) for w in net.weights],
                                   [np.array(b) for b in net.biases])

    def x(self, data):
        x = np.array(data.x, float)
        return standardized(x, np.array(self.train.x, float)) if self.standardize else x

    def outputs(self, data, weights=None, biases=None):
        if weights is None:
            weights, biases = self.params()
        return forward(self.x(data), weights, biases, self.hidden_list(), self.output, self.bias)

    def hidden_list(self):
        return [self.hidden] * (len(self.sizes) - 2) if isinstance(self.hidden, str) \
            else self.hidden

    def loss_on(self, data, weights=None, biases=None):
        if not len(data):
            return np.nan
        z, a = self.outputs(data, weights, biases)[-1]
        t = targets(np.array(data.y), data.task, self.loss, self.output, self.sizes[-1])
        return loss_by_hand(self.loss, z, a, t)

    def accuracy(self):
        if self.train.task != "classification":
            return np.nan
        data = self.test if len(self.test) else self.train  # the test split when there is one
        a = self.outputs(data)[-1][1]
        return accuracy_by_hand(a, np.array(data.y), self.output)

    def check_evaluation(self):
        e = self.trainer.evaluate()
        expected = (self.loss_on(self.train), self.loss_on(self.test), self.accuracy())
        np.testing.assert_allclose([e.train_loss, e.test_loss, e.accuracy], expected,
                                   rtol=RTOL, atol=0, equal_nan=True)
        history = [self.trainer.history.last(c) for c in ("train_loss", "test_loss", "accuracy")]
        np.testing.assert_allclose(history, expected, rtol=RTOL, atol=0, equal_nan=True)


# ---- data made here ------------------------------------------------------------------------

def regression(n, d, k, seed, shift=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * scale + shift
    y = np.tanh(x @ rng.normal(size=(d, k))) + 0.1 * rng.normal(size=(n, k))
    return Dataset(x, y, "regression", 0, tuple(f"x{i}" for i in range(d)),
                   tuple(f"y{i}" for i in range(k)))


def classes(n, d, k, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + shift
    y = (x @ rng.normal(size=(d, k))).argmax(axis=1)
    y[:k] = np.arange(k)
    return Dataset(x, y.astype(np.int64), "classification", k,
                   tuple(f"x{i}" for i in range(d)), tuple(str(c) for c in range(k)))


def empty(data):
    return data.subset(np.zeros(len(data), bool))


CASES = {
    "mse regression": lambda: Case([3, 5, 2], "tanh", "linear", "mse",
                                   regression(30, 3, 2, 1), regression(11, 3, 2, 2)),
    "mae regression": lambda: Case([3, 4, 1], "relu", "linear", "mae",
                                   regression(30, 3, 1, 3), regression(9, 3, 1, 4)),
    "mae, sigmoid output": lambda: Case([3, 4, 1], "tanh", "sigmoid", "mae",
                                        regression(25, 3, 1, 5), regression(8, 3, 1, 6)),
    "bce, two classes": lambda: Case([3, 4, 1], "tanh", "sigmoid", "bce",
                                     classes(40, 3, 2, 7), classes(17, 3, 2, 8)),
    "cross-entropy, three classes": lambda: Case([3, 6, 3], "leaky-relu", "softmax",
                                                 "cross-entropy", classes(45, 3, 3, 9),
                                                 classes(21, 3, 3, 10)),
    "mse on ±1 columns, tanh output": lambda: Case([3, 4, 3], "sigmoid", "tanh", "mse",
                                                   classes(36, 3, 3, 11), classes(15, 3, 3, 12)),
    "mse on 0/1 columns, softmax output": lambda: Case([3, 4, 3], "tanh", "softmax", "mse",
                                                       classes(36, 3, 3, 13), classes(15, 3, 3, 14)),
    "mae, one tanh output, two classes": lambda: Case([3, 3, 1], "tanh", "tanh", "mae",
                                                      classes(30, 3, 2, 15), classes(12, 3, 2, 16)),
    "no test split: accuracy on training": lambda: Case(
        [3, 4, 3], "tanh", "softmax", "cross-entropy", classes(40, 3, 3, 17),
        empty(classes(40, 3, 3, 17))),
    "no bias": lambda: Case([3, 4, 1], "tanh", "linear", "mse", regression(20, 3, 1, 18),
                            regression(7, 3, 1, 19), bias=False),
    # the test split sits far from the training split: scaling it by its own statistics
    # instead of the training split's gives a very different test loss and accuracy
    "standardized, shifted test split": lambda: Case(
        [2, 4, 1], "tanh", "linear", "mse", regression(30, 2, 1, 20, scale=3.0),
        regression(12, 2, 1, 21, shift=4.0), standardize=True),
    "standardized classes, shifted test split": lambda: Case(
        [2, 5, 3], "tanh", "softmax", "cross-entropy", classes(40, 2, 3, 22),
        classes(25, 2, 3, 23, shift=1.5), standardize=True),
}


@pytest.mark.parametrize("name", CASES)
def test_losses_and_accuracy_match_the_hand_computation(name):
    case = CASES[name]()
    case.check_evaluation()  # at step 0
    before = [np.array(w) for w in case.trainer.network.weights], \
        [np.array(b) for b in case.trainer.network.biases]
    case.trainer.step()  # one batch = the whole training split (in a shuffled order)
    # the loss of the step: the data loss of the weights before it, on its batch
    assert case.trainer.last_loss == pytest.approx(case.loss_on(case.train, *before), rel=RTOL)
    case.trainer.run(steps=4)
    case.check_evaluation()


def test_accuracy_is_on_the_test_split_when_there_is_one():
    case = CASES["cross-entropy, three classes"]()
    case.trainer.run(steps=30)
    a_train = case.outputs(case.train)[-1][1]
    a_test = case.outputs(case.test)[-1][1]
    on_train = accuracy_by_hand(a_train, np.array(case.train.y), "softmax")
    on_test = accuracy_by_hand(a_test, np.array(case.test.y), "softmax")
    assert on_train != on_test  # else the check below could not tell them apart
    assert case.trainer.evaluate().accuracy == on_test


def test_the_test_split_is_scaled_by_the_training_statistics():
    case = CASES["standardized, shifted test split"]()
    raw_test = np.array(case.test.x, float)
    own = (raw_test - raw_test.mean(axis=0)) / raw_test.std(axis=0)
    by_train = standardized(raw_test, np.array(case.train.x, float))
    assert np.abs(own - by_train).max() > 1  # the two scalings differ a lot on this split
    expected = forward(by_train, case.trainer.network.weights, case.trainer.network.biases,
                       ["tanh"], "linear")[-1][1]
    np.testing.assert_allclose(case.trainer.predict(raw_test), expected, rtol=RTOL)
    assert case.trainer.evaluate().test_loss == pytest.approx(case.loss_on(case.test), rel=RTOL)


# ---- readouts ----------------------------------------------------------------------------

def objective(case, flat, shapes):
    """Data loss + l2·ΣW² on the whole training split, for parameters laid out as `shapes`."""
    weights, biases, at = [], [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        (weights if len(shape) == 2 else biases).append(flat[at:at + size].reshape(shape))
        at += size
    penalty = case.l2 * sum(np.sum(w * w) for w in weights)
    return case.loss_on(case.train, weights, biases) + penalty


def numeric_gradient(case, weights, biases):
    shapes = [w.shape for w in weights] + [b.shape for b in biases]
    flat = np.concatenate([w.ravel() for w in weights] + [b.ravel() for b in biases])
    grad = np.zeros_like(flat)
    h = 1e-6
    for k in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (objective(case, up, shapes) - objective(case, down, shapes)) / (2 * h)
    out, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(grad[at:at + size].reshape(shape))
        at += size
    return out[:len(weights)], out[len(weights):]


@pytest.mark.parametrize("name, l2", [("mse regression", 0.0), ("cross-entropy, three classes",
                                                                  0.0),
                                      ("bce, two classes", 0.03), ("no bias", 0.0)])
def test_readouts_match_the_hand_computation(name, l2):
    case = CASES[name]()
    if l2:
        case.trainer.change_settings(l2=l2)
        case.l2 = l2
    net = case.trainer.network
    r = case.trainer.readouts()
    assert all(layer.grad_norm is None and layer.mean_abs_activation is None
               for layer in r.layers)  # no step yet: nothing to show
    case.trainer.run(steps=3)
    weights = [np.array(w) for w in net.weights]
    biases = [np.array(b) for b in net.biases]
    case.trainer.step()  # its batch is the whole training split
    gw, gb = numeric_gradient(case, weights, biases)  # at the weights the step started from
    r = case.trainer.readouts()
    after = forward(case.x(case.train), weights, biases, case.hidden_list(), case.output,
                    case.bias)
    w_now = [np.array(w) for w in net.weights]
    b_now = [np.array(b) for b in net.biases]
    assert len(r.layers) == len(w_now)
    for l, (layer, w, b) in enumerate(zip(r.layers, w_now, b_now)):
        total = abs_total = sq_total = 0.0
        for value in w.ravel():
            total += value
            abs_total += abs(value)
            sq_total += value * value
        assert layer.layer == l
        assert layer.sum == pytest.approx(total, rel=RTOL, abs=1e-12)
        assert layer.abs_sum == pytest.approx(abs_total, rel=RTOL)
        assert layer.sq_sum == pytest.approx(sq_total, rel=RTOL)
        columns = [sum(w[i, j] for i in range(w.shape[0])) for j in range(w.shape[1])]
        np.testing.assert_allclose(layer.neuron_sums, columns, rtol=RTOL, atol=1e-12)
        assert layer.bias_sum == pytest.approx(sum(b) if case.bias else 0.0, rel=RTOL, abs=1e-12)
        # mean |a| of neuron layer l+1 over the last batch (the step's: the weights before it)
        assert layer.mean_abs_activation == pytest.approx(np.mean(np.abs(after[l][1])),
                                                          rel=RTOL)
        norm = np.sqrt(np.sum(gw[l] ** 2) + (np.sum(gb[l] ** 2) if case.bias else 0.0))
        assert layer.grad_norm == pytest.approx(norm, rel=1e-5)
    assert r.sum == pytest.approx(sum(np.sum(w) for w in w_now), rel=RTOL, abs=1e-12)
    assert r.abs_sum == pytest.approx(sum(np.sum(np.abs(w)) for w in w_now), rel=RTOL)
    assert r.sq_sum == pytest.approx(sum(np.sum(w * w) for w in w_now), rel=RTOL)
    if case.output == "softmax":
        assert r.output_probability_sum == pytest.approx(1.0, rel=1e-12)
    else:
        assert r.output_probability_sum is None


# ---- the command line reports the same numbers ---------------------------------------------

@pytest.mark.parametrize("name", ["circle", "two-three-one", "house-prices", "softmax-outputs"])
def test_cli_json_numbers_match_the_hand_computation(name, capsys):
    assert cli.main(["train", name, "--steps", "37", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    scenario = load_scenario(name)
    train, test = load_data(scenario.data, scenario.path.parent, name)
    net, settings = scenario.network, scenario.settings
    weights = [np.array(layer["weights"], float) for layer in result["layers"]]
    biases = [np.array(layer["biases"] if net.bias else np.zeros(w.shape[1]), float)
              for layer, w in zip(result["layers"], weights)]
    case = Case(list(net.layers), list(net.activation), net.output, settings.loss, train, test,
                standardize=settings.standardize, bias=net.bias, seed=None)
    case.params = lambda: (weights, biases)  # the weights the command line reported
    expected_test = case.loss_on(test) if len(test) else None
    assert result["train_loss"] == pytest.approx(case.loss_on(train), rel=1e-9)
    if expected_test is None:
        assert result["test_loss"] is None
    else:
        assert result["test_loss"] == pytest.approx(expected_test, rel=1e-9)
    if train.task == "classification":
        assert result["accuracy"] == pytest.approx(case.accuracy(), abs=1e-12)
    else:
        assert result["accuracy"] is None
    for layer, w in zip(result["layers"], weights):
        assert layer["sum"] == pytest.approx(np.sum(w), rel=1e-12, abs=1e-12)
        assert layer["abs_sum"] == pytest.approx(np.sum(np.abs(w)), rel=1e-12)
        assert layer["sq_sum"] == pytest.approx(np.sum(w * w), rel=1e-12)
        np.testing.assert_allclose(layer["neuron_sums"], w.sum(axis=0), rtol=1e-12, atol=1e-12)
