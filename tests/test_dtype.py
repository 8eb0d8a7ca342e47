"""float32 stays float32 end to end: data, activations, loss gradients, parameters and
optimizer state (a single float64 array anywhere would upcast the whole step)."""

import numpy as np
import pytest

from gradstep.model import Network
from gradstep.scenarios.data import Dataset
from gradstep.training import Trainer, TrainingSettings
from gradstep.edits import ChangeSettings


def wide_classes(n=300, features=20, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = (x @ rng.normal(size=(features, classes))).argmax(axis=1)
    data = Dataset(x, y, "classification", classes, tuple(f"x{i}" for i in range(features)),
                   tuple(str(c) for c in range(classes)))
    return data.subset(np.arange(n - 60)), data.subset(np.arange(n - 60, n))


def regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = np.tanh(x[:, :1]) + 0.5 * x[:, 1:2]
    data = Dataset(x, y, "regression", 0, ("a", "b", "c"), ("y",))
    return data.subset(np.arange(150)), data.subset(np.arange(150, n))


def assert_float32(trainer):
    net = trainer.network
    assert net.params.dtype == np.float32 and net.grad.dtype == np.float32
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    assert trainer.x_train.dtype == trainer.x_test.dtype == np.float32
    assert all(a.dtype == np.float32 for a in net.last_activations)
    state = trainer.optimizer.state
    arrays = [s for s in (state if isinstance(state, tuple) else (state,))  # momentum, Adam
              if isinstance(s, np.ndarray)]
    assert all(a.dtype == np.float32 for a in arrays)
    z, out = net.forward(trainer.x_test, logits=True)
    assert z.dtype == out.dtype == np.float32


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss,output,hidden", [("cross-entropy", "softmax", "relu"),
                                                ("mse", "softmax", "leaky-relu"),
                                                ("mse", "sigmoid", "tanh")])
def test_float32_classification_stays_float32(optimizer, loss, output, hidden):
    train, test = wide_classes()
    sizes = [20, 16, 16, 4 if output == "softmax" else 1]
    if sizes[-1] == 1:  # two classes for a single sigmoid output
        train = train.subset(train.y < 2)
        test = test.subset(test.y < 2)
        train = Dataset(train.x, train.y, "classification", 2, train.feature_names, ("0", "1"))
        test = Dataset(test.x, test.y, "classification", 2, test.feature_names, ("0", "1"))
    net = Network(sizes, hidden, output, init="he", seed=0, dtype="float32")
    t = Trainer(net, train, test, TrainingSettings(loss=loss, optimizer=optimizer,
                                                   learning_rate=0.01, batch_size=16,
                                                   l1=1e-4, l2=1e-4), seed=0)
    start = t.evaluate().train_loss
    t.run(epochs=3)
    assert_float32(t)
    assert not t.diverged and t.evaluate().train_loss < start


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_float32_regression_with_a_constraint_stays_float32(loss):
    train, test = regression()
    net = Network([3, 8, 1], "sigmoid", "linear", seed=1, constraint="nonnegative",
                  dtype="float32")
    t = Trainer(net, train, test, TrainingSettings(loss=loss, optimizer="adam",
                                                   learning_rate=0.01, batch_size=10,
                                                   standardize=True), seed=0)
    t.run(epochs=2)
    assert_float32(t)
    assert t.y_train.dtype == np.float32
    assert t.predict(np.zeros((2, 3))).dtype == np.float32


def test_set_dtype_switches_data_and_parameters_and_back():
    train, test = wide_classes()
    net = Network([20, 8, 4], "relu", "softmax", seed=0)
    t = Trainer(net, train, test, TrainingSettings(loss="cross-entropy", optimizer="adam",
                                                   batch_size=32), seed=0)
    t.run(steps=5)
    before = [w.copy() for w in net.weights]
    t.apply(ChangeSettings(dtype="float32"))
    assert all(np.allclose(w, b, atol=1e-6) for w, b in zip(net.weights, before))
    t.run(steps=5)
    assert_float32(t)
    t.apply(ChangeSettings(dtype="float64"))
    t.run(steps=5)
    assert net.params.dtype == t.x_train.dtype == np.float64
    assert all(s.dtype == np.float64 for s in t.optimizer.state if isinstance(s, np.ndarray))
